using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace SentenceMtl.Tests.Encoding;

[Collection(EmbeddedEncodersCollection.Name)]
public sealed class EmbeddingGeneratorTests(EmbeddedEncoders encoders)
{
    private IEmbeddingGenerator<string, Embedding<float>> Generator => encoders.MiniLm;

    [Fact]
    public async Task Generates_the_same_vectors_as_Encode()
    {
        var texts = new[] { "A man is playing a guitar.", "Someone plays an instrument." };
        var generated = await Generator.GenerateAsync(texts);
        var encoded = encoders.MiniLm.Encode(texts);
        Assert.Equal(2, generated.Count);
        Assert.Equal(encoded[0], generated[0].Vector.ToArray());
        Assert.Equal(encoded[1], generated[1].Vector.ToArray());
        Assert.Equal("all-MiniLM-L6-v2", generated[0].ModelId);
    }

    [Fact]
    public void Metadata_names_provider_model_and_dimensions()
    {
        var metadata = Generator.GetService<EmbeddingGeneratorMetadata>();
        Assert.NotNull(metadata);
        Assert.Equal(("SentenceMtl", "all-MiniLM-L6-v2", 384), (metadata.ProviderName, metadata.DefaultModelId, metadata.DefaultModelDimensions));
        Assert.Same(encoders.MiniLm, Generator.GetService<SentenceEncoder>());
        Assert.Null(Generator.GetService(typeof(string)));
        Assert.Null(Generator.GetService(typeof(EmbeddingGeneratorMetadata), "key"));
    }

    [Fact]
    public async Task Dimensions_truncates_and_renormalizes()
    {
        var full = encoders.MiniLm.Encode("truncate me");
        var result = await Generator.GenerateAsync(["truncate me"], new EmbeddingGenerationOptions { Dimensions = 64 });
        var v = result[0].Vector.ToArray();
        Assert.Equal(64, v.Length);
        Assert.Equal(1.0, Math.Sqrt(v.Sum(x => (double)x * x)), 5);
        double norm = Math.Sqrt(full.Take(64).Sum(x => (double)x * x));
        Assert.True(v.Zip(full.Take(64)).All(p => Math.Abs(p.First - (p.Second / norm)) < 1e-6));
    }

    [Theory]
    [InlineData(385)]
    [InlineData(4096)]
    public async Task Dimensions_larger_than_the_model_is_a_clear_error(int dimensions)
    {
        var ex = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            Generator.GenerateAsync(["x"], new EmbeddingGenerationOptions { Dimensions = dimensions }));
        Assert.Contains("384", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_calls_equal_serial_results_and_cancellation_is_honoured()
    {
        var texts = File.ReadLines(TestPaths.Sentences).Take(40).ToArray();
        var serial = encoders.MiniLm.Encode(texts);
        var runs = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Generator.GenerateAsync(texts)));
        Assert.All(runs, run => Assert.True(run.Select((e, i) => e.Vector.ToArray().Zip(serial[i]).All(p => Math.Abs(p.First - p.Second) <= 1e-5)).All(x => x)));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Generator.GenerateAsync(texts, cancellationToken: cts.Token));
    }

    [Fact]
    public async Task Dependency_injection_registers_one_shared_generator()
    {
        var services = new ServiceCollection().AddSentenceMtlEmbeddingGenerator("all-MiniLM-L6-v2");
        await using var provider = services.BuildServiceProvider();
        var generator = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        Assert.Same(provider.GetRequiredService<SentenceEncoder>(), generator);
        var result = await generator.GenerateAsync(["hello"]);
        Assert.Equal(384, result[0].Vector.Length);
    }
}
