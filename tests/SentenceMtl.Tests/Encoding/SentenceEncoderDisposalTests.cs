using Microsoft.Extensions.AI;

namespace SentenceMtl.Tests.Encoding;

/// <summary>After <see cref="SentenceEncoder.Dispose"/>, every public instance member names the encoder in an <see cref="ObjectDisposedException"/>.</summary>
public sealed class SentenceEncoderDisposalTests : IDisposable
{
    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    private static readonly string[] MemberNames =
    [
        "ModelId", "Dimension", "Pooling", "Normalize", "MaxSequenceLength", "BatchSize", "Encode(string)",
        "Encode(list)", "Tokenize", "Similarity", "Save", "GenerateAsync", "GetService",
        "InferenceBackend", "Encode(enumerable, options)", "Prompts", "DefaultPromptName",
        "SimilarityFunction", "Similarity(matrix)", "Quantization", "TokenizeWithOffsets",
    ];

    public static TheoryData<string> Members() => new(MemberNames);

    [Theory]
    [MemberData(nameof(Members))]
    public void Every_public_member_throws_ObjectDisposedException_naming_SentenceEncoder(string member)
    {
        var encoder = SentenceEncoder.FromPretrained(folder.Model);
        encoder.Dispose();
        encoder.Dispose();                                                                      // idempotent

        var ex = Assert.Throws<ObjectDisposedException>(() => Use(encoder, member));

        Assert.Equal(typeof(SentenceEncoder).FullName, ex.ObjectName);
        Assert.Contains("SentenceEncoder", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("HType", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_list_above_names_every_public_instance_member()
    {
        var declared = typeof(SentenceEncoder).GetMembers(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.DeclaredOnly)
            .Where(m => m is System.Reflection.PropertyInfo || (m is System.Reflection.MethodInfo method && !method.IsSpecialName))
            .Select(m => m.Name).Where(n => n != nameof(SentenceEncoder.Dispose)).Distinct().Order(StringComparer.Ordinal);

        var covered = MemberNames.Select(name => name.Split('(')[0]).Distinct().Order(StringComparer.Ordinal);

        Assert.Equal(declared, covered);
    }

    private void Use(SentenceEncoder encoder, string member)
    {
        _ = member switch
        {
            "ModelId" => encoder.ModelId,
            "Dimension" => encoder.Dimension,
            "Pooling" => encoder.Pooling,
            "Normalize" => encoder.Normalize,
            "MaxSequenceLength" => encoder.MaxSequenceLength,
            "BatchSize" => encoder.BatchSize,
            "Encode(string)" => encoder.Encode("the team won"),
            "Encode(list)" => encoder.Encode(["the team won"]),
            "Tokenize" => encoder.Tokenize("the team won"),
            "TokenizeWithOffsets" => encoder.TokenizeWithOffsets("the team won"),
            "Similarity" => encoder.Similarity("the team won", "the team lost"),
            "Save" => Save(encoder),
            "GenerateAsync" => encoder.GenerateAsync(["the team won"]),
            "GetService" => encoder.GetService(typeof(EmbeddingGeneratorMetadata)),
            "InferenceBackend" => encoder.InferenceBackend,
            "Encode(enumerable, options)" => encoder.Encode(new[] { "the team won" }.Where(_ => true), new EncodeOptions { TruncateDimension = 4 }),
            "Prompts" => encoder.Prompts,
            "SimilarityFunction" => encoder.SimilarityFunction,
            "Similarity(matrix)" => encoder.Similarity([[1f, 0f]], [[0f, 1f]]),
            "DefaultPromptName" => encoder.DefaultPromptName ?? "",
            "Quantization" => encoder.Quantization,
            _ => throw new ArgumentOutOfRangeException(nameof(member), member, null),
        };
    }

    private object Save(SentenceEncoder encoder)
    {
        string target = Path.Combine(folder.Path, "saved");
        encoder.Save(target);
        return target;
    }
}
