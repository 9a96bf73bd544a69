namespace SentenceMtl.Tests;

// The library tests' tiny model (TinyModel.cs, linked into this project), plus sentences of its vocabulary.
internal static partial class TinyModel
{
    /// <summary>Sentences of the tiny vocabulary, of varied lengths.</summary>
    public static string[] Sentences(int count) => Enumerable.Range(0, count)
        .Select(i => string.Join(' ', Enumerable.Range(0, 2 + i % 9).Select(j => Words[(i * 7 + j * 3) % 36])))
        .ToArray();
}
