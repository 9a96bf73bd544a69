using SentenceMtl.Inference;
using SentenceMtl.Tests.Encoding;

namespace SentenceMtl.Tests.Inference;

/// <summary>The server's way of running a coalesced batch (a few passes of about equal tokens, side by side) gives the
/// vectors <c>Encode</c>'s batches give, bit for bit: the engine embeds each sequence independently of its batch.</summary>
[Collection(EmbeddedEncodersCollection.Name)]
public sealed class EmbedInPassesTests(EmbeddedEncoders encoders)
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    public void Passes_give_the_vectors_of_fixed_size_batches(int passes)
    {
        var encoder = encoders.Get("all-MiniLM-L6-v2");
        var texts = File.ReadLines(TestPaths.Sentences).Take(30).Concat(File.ReadLines(TestPaths.Paragraphs).Take(5)).ToList();
        var ids = encoder.TokenizeAll(texts);
        using var engine = encoder.CreateEngine(new InferenceEngineOptions { Threads = 2 });

        var expected = engine.Embed(ids, 32, PoolingStrategy.Mean);
        var actual = engine.EmbedInPasses(ids, passes, PoolingStrategy.Mean);

        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i]);
        }
    }
}
