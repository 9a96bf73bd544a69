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
        Skip.If(VectorWidths.WidestFor(EncoderQuantization.Int8) is null, "No vector width runs the int8 kernels on this machine.");
        var encoder = encoders.Get(model);
        using var reference = encoder.CreateEngine(new InferenceEngineOptions { Threads = 2 });
        using var int8 = encoder.CreateEngine(new InferenceEngineOptions { Threads = 2, Quantization = EncoderQuantization.Int8 });
        Assert.Equal(EncoderQuantization.Int8, int8.Quantization);
        foreach (var (corpus, count) in new[] { (TestPaths.Sentences, 300), (TestPaths.Paragraphs, 100) })
        {
            var ids = encoder.TokenizeAll(File.ReadLines(corpus).Take(count).ToList());
            var expected = reference.Embed(ids, 32, PoolingStrategy.Mean);
            var actual = int8.Embed(ids, 32, PoolingStrategy.Mean);
            var cosines = expected.Zip(actual, (e, a) => SentenceEncoder.CosineSimilarity(e, a)).ToArray();
            output.WriteLine($"{model}, {Path.GetFileName(corpus)}: cosine to float32 mean {cosines.Average():f5}, min {cosines.Min():f5}");
            Assert.True(cosines.Average() >= 0.99, $"{Path.GetFileName(corpus)}: mean cosine {cosines.Average():f5}");
            Assert.True(cosines.Min() >= 0.97, $"{Path.GetFileName(corpus)}: min cosine {cosines.Min():f5}");
        }
    }

    /// <summary>
    /// Retrieval keeps its neighbours: 100 held-out sentences search 2,000 others (top 10, cosine) once with float32
    /// and once with int8 embeddings of both sides; on average ≥ 9 of the 10 neighbours are the same (the bound).
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Models))]
    public void Top_10_neighbours_match_float32(string model)
    {
        Skip.If(VectorWidths.WidestFor(EncoderQuantization.Int8) is null, "No vector width runs the int8 kernels on this machine.");
        var encoder = encoders.Get(model);
        using var reference = encoder.CreateEngine(new InferenceEngineOptions { Threads = 2 });
        using var int8 = encoder.CreateEngine(new InferenceEngineOptions { Threads = 2, Quantization = EncoderQuantization.Int8 });
        var lines = File.ReadLines(TestPaths.Sentences).Take(2_100).ToList();
        var ids = encoder.TokenizeAll(lines);
        var expected = reference.Embed(ids, 32, PoolingStrategy.Mean);
        var actual = int8.Embed(ids, 32, PoolingStrategy.Mean);
        var exactHits = SemanticSearch.Search(expected[2_000..], expected[..2_000], 10);
        var int8Hits = SemanticSearch.Search(actual[2_000..], actual[..2_000], 10);
        double overlap = exactHits.Zip(int8Hits, (e, a) => e.Select(h => h.CorpusIndex).Intersect(a.Select(h => h.CorpusIndex)).Count() / 10.0).Average();
        output.WriteLine($"{model}: top-10 overlap of int8 with float32 over 100 queries = {overlap:f3}");
        Assert.True(overlap >= 0.9, $"{model}: top-10 overlap {overlap:f3}");
    }

    /// <summary>
    /// At every width that runs the int8 kernels, the token states of 200 texts stay close to float32's, token by token:
    /// cosine mean ≥ 0.99 and minimum ≥ 0.95 (the measured values are printed).
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(KernelWidthsData))]
    public void Token_states_stay_close_to_float32_at_every_width(int bits)
    {
        var width = (VectorWidth)bits;
        Skip.IfNot(VectorWidths.IsInt8Accelerated(width), $"the int8 kernels do not run at {width} on this machine.");
        var encoder = encoders.Get("all-MiniLM-L6-v2");
        using var reference = encoder.CreateEngine(new InferenceEngineOptions { Threads = 2 });
        using var int8 = encoder.CreateEngine(new InferenceEngineOptions { Threads = 2, Width = width, Quantization = EncoderQuantization.Int8 });
        Assert.Equal(width, int8.Width);
        var ids = encoder.TokenizeAll(OnnxReference.Texts().Take(200).ToList());
        int h = encoder.Dimension;
        var cosines = new List<double>();
        foreach (var batch in ids.Chunk(16))
        {
            var expected = reference.TokenStates(batch);
            var actual = int8.TokenStates(batch);
            Assert.Equal(expected.Length, actual.Length);
            for (int row = 0; row < expected.Length / h; row++)
            {
                cosines.Add(SentenceEncoder.CosineSimilarity(actual.AsSpan(row * h, h).ToArray(), expected.AsSpan(row * h, h).ToArray()));
            }
        }

        output.WriteLine($"{width}: cosine of int8 to float32 token states over {cosines.Count} tokens: mean {cosines.Average():f5}, min {cosines.Min():f5}");
        Assert.True(cosines.Average() >= 0.99, $"{width}: mean token-state cosine {cosines.Average():f5}");
        Assert.True(cosines.Min() >= 0.95, $"{width}: min token-state cosine {cosines.Min():f5}");
    }

    /// <summary>The int8 session's weights take about a quarter of the float32 session's (linear layers and word
    /// embeddings in bytes; the rest, a few hundred kilobytes, stays float32).</summary>
    [SkippableFact]
    public void Weights_take_about_a_quarter_of_float32()
    {
        Skip.If(VectorWidths.WidestFor(EncoderQuantization.Int8) is null, "No vector width runs the int8 kernels on this machine.");
        var encoder = encoders.Get("all-MiniLM-L6-v2");
        using var reference = encoder.CreateEngine(new InferenceEngineOptions { Threads = 1 });
        using var int8 = encoder.CreateEngine(new InferenceEngineOptions { Threads = 1, Quantization = EncoderQuantization.Int8 });
        double ratio = (double)int8.WeightBytes / reference.WeightBytes;
        output.WriteLine($"weights: float32 {reference.WeightBytes:N0} bytes, int8 {int8.WeightBytes:N0} bytes ({ratio:P1})");
        Assert.InRange(ratio, 0.24, 0.27);
    }

    /// <summary>
    /// Any BERT shape, not only the embedded models': hidden size 36 (not a multiple of 4 per head), intermediate 50 (not
    /// a multiple of 4, so inputs are padded), random weights. Token states of int8 against float32, token by token:
    /// cosine mean ≥ 0.99 at every width that runs the int8 kernels.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(KernelWidthsData))]
    public void Any_bert_shape_runs_in_int8(int bits)
    {
        var width = (VectorWidth)bits;
        Skip.IfNot(VectorWidths.IsInt8Accelerated(width), $"the int8 kernels do not run at {width} on this machine.");
        var config = new SentenceMtl.Modeling.Bert.BertConfig
        {
            VocabSize = 50, HiddenSize = 36, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 50, MaxPositionEmbeddings = 40,
        };
        var random = new Random(11);
        var weights = new Dictionary<string, float[]>();
        bool Weight(string name, Span<float> destination)                                     // the same random values for both engines
        {
            if (!weights.TryGetValue(name, out var values))
            {
                bool gamma = name.EndsWith("LayerNorm.weight", StringComparison.Ordinal);
                values = new float[destination.Length];
                for (int j = 0; j < values.Length; j++)
                {
                    values[j] = gamma ? 1 + (float)(0.1 * (random.NextDouble() - 0.5)) : (float)(0.3 * (random.NextDouble() - 0.5));
                }

                weights[name] = values;
            }

            values.CopyTo(destination);
            return true;
        }

        using var reference = InferenceEngine.Create(config, Weight, new InferenceEngineOptions { Threads = 2 });
        using var int8 = InferenceEngine.Create(config, Weight, new InferenceEngineOptions { Threads = 2, Width = width, Quantization = EncoderQuantization.Int8 });
        var sequences = Enumerable.Range(0, 20).Select(s => Enumerable.Range(0, 3 + s).Select(t => ((s * 7) + (t * 3)) % config.VocabSize).ToArray()).ToArray();
        float[] expected = reference.TokenStates(sequences), actual = int8.TokenStates(sequences);
        var cosines = Enumerable.Range(0, expected.Length / 36)
            .Select(row => SentenceEncoder.CosineSimilarity(actual.AsSpan(row * 36, 36).ToArray(), expected.AsSpan(row * 36, 36).ToArray()))
            .ToArray();
        output.WriteLine($"{width}: token-state cosine mean {cosines.Average():f5}, min {cosines.Min():f5} over {cosines.Length} tokens");
        Assert.True(cosines.Average() >= 0.99, $"{width}: mean token-state cosine {cosines.Average():f5}");
    }

    public static TheoryData<int> KernelWidthsData => new() { 512, 256, 128 };
}
