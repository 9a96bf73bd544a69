using SentenceMtl.Checkpoints;
using SentenceMtl.Modeling.Bert;
using SentenceMtl.Serialization;

namespace SentenceMtl.Server.Tests;

/// <summary>A tiny random BERT (2 layers, hidden 32) written as a Hugging Face folder, for fast tests (the library's
/// tests' pattern).</summary>
internal static class TinyModel
{
    public static readonly string[] Words =
    [
        "the", "a", "game", "team", "won", "lost", "match", "phone", "app", "software", "bug", "vote", "election",
        "law", "film", "movie", "song", "doctor", "health", "virus", "great", "terrible", "okay", "good", "bad",
        "new", "old", "fans", "loved", "hated", "released", "update", "players", "minister", "hospital", "show",
        ".", ",", "!", "##s", "##ed", "##ing",
    ];

    public static BertConfig Config => new()
    {
        VocabSize = 5 + Words.Length, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 64,
        MaxPositionEmbeddings = 64,
    };

    /// <summary>Writes the folder (deterministic weights for a given seed) and returns its path.</summary>
    public static string CreateFolder(string directory, long seed = 7)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "config.json"), Config.ToJson());
        File.WriteAllLines(Path.Combine(directory, "vocab.txt"), ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. Words]);
        TorchSharp.torch.manual_seed(seed);
        using var model = new BertModel(Config);
        SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"),
            model.state_dict().Select(kv => TensorConversion.ToData(kv.Key, kv.Value)).ToList());
        return directory;
    }

    /// <summary>Sentences of the tiny vocabulary, of varied lengths.</summary>
    public static string[] Sentences(int count) => Enumerable.Range(0, count)
        .Select(i => string.Join(' ', Enumerable.Range(0, 2 + i % 9).Select(j => Words[(i * 7 + j * 3) % 36])))
        .ToArray();
}

/// <summary>A temporary directory deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Path = Directory.CreateTempSubdirectory("sentencemtl-server-test").FullName;

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
