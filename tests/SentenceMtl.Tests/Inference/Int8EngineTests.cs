using SentenceMtl.Inference;
using SentenceMtl.Inference.Vectors;
using SentenceMtl.Tests.Encoding;
using Xunit.Abstractions;

namespace SentenceMtl.Tests.Inference;

/// <summary>
/// The int8 engine against the float32 engine on the same weights and token ids: embeddings of both bench corpora's
/// first lines close in cosine, and the same integers (so the same outputs, bit for bit) at every width.
/// </summary>
[Collection(EmbeddedEncodersCollection.Name)]
public sealed class Int8EngineTests(EmbeddedEncoders encoders, ITestOutputHelper output)
{
    public static TheoryData<string> Models => new() { "all-MiniLM-L6-v2", "snowflake-arctic-embed-xs" };

    /// <summary>Mean cosine ≥ 0.99 and minimum ≥ 0.97 to float32 on 300 sentences and 100 paragraphs (the bounds).</summary>
    [SkippableTheory]
    [MemberData(nameof(Models))]
    public void Embeddings_stay_close_to_float32(string model)
    {
        Skip.IfNot(VectorWidths.Accelerated.Any(VectorWidths.IsInt8Accelerated), "No vector width runs the int8 kernels on this machine.");
        var encoder = encoders.Get(model);
        using var reference = encoder.CreateEngine(new InferenceEngineOptions { Threads = 2 });
        using var int8 = encoder.CreateEngine(new InferenceEngineOptions { Threads = 2, Quantization = EncoderQuantization.Int8 });
        Assert.Equal(EncoderQuantization.Int8, int8.Quantization);
        foreach (var (corpus, count) in new[] { (TestPaths.Sentences, 300), (TestPaths.Paragraphs, 100) })
        {
            var ids = encoder.TokenizeAll(File.ReadLines(corpus).Take(count).ToList());
            var expected = reference.Embed(ids, 32, PoolingStrategy.Mean, normalize: true);
            var actual = int8.Embed(ids, 32, PoolingStrategy.Mean, normalize: true);
            var cosines = expected.Zip(actual, (e, a) => SentenceEncoder.CosineSimilarity(e, a)).ToArray();
            output.WriteLine($"{model}, {Path.GetFileName(corpus)}: cosine to float32 mean {cosines.Average():f5}, min {cosines.Min():f5}");
            Assert.True(cosines.Average() >= 0.99, $"{Path.GetFileName(corpus)}: mean cosine {cosines.Average():f5}");
            Assert.True(cosines.Min() >= 0.97, $"{Path.GetFileName(corpus)}: min cosine {cosines.Min():f5}");
        }
    }
}
