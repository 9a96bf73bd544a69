using SentenceMtl.Inference;
using SentenceMtl.Inference.Vectors;
using SentenceMtl.Modeling.Bert;

namespace SentenceMtl.Tests.Inference;

/// <summary>
/// Building an engine reads every weight once into the buffers it keeps or into one scratch buffer it packs from: the
/// bytes it allocates are its weights plus that scratch, not a second copy of the state dict left for the collector
/// (which had doubled the resident memory right after loading).
/// </summary>
public sealed class EngineWeightsTests
{
    private static readonly BertConfig Config = new()
    {
        VocabSize = 4000, HiddenSize = 128, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 512, MaxPositionEmbeddings = 128,
    };

    /// <summary>Deterministic values written straight into the engine's destination, so the reader allocates nothing.</summary>
    private static bool Read(string name, Span<float> destination)
    {
        float scale = name.EndsWith("LayerNorm.weight", StringComparison.Ordinal) ? 0f : 0.02f;
        float offset = scale == 0f ? 1f : 0f;
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = offset + (scale * (((i * 37) % 101) - 50) / 50f);
        }

        return true;
    }

    [SkippableTheory]
    [InlineData(EncoderQuantization.None)]
    [InlineData(EncoderQuantization.Int8)]
    public void Building_allocates_the_weights_and_one_scratch_buffer(EncoderQuantization quantization)
    {
        Skip.If(VectorWidths.WidestFor(quantization) is null, $"no vector width runs the {quantization} engine here");
        int h = Config.HiddenSize, i = Config.IntermediateSize;
        long scratch = sizeof(float) * (Math.Max(3L * h * h, (long)i * h) + Math.Max(3 * h, i));
        long table = quantization == EncoderQuantization.Int8 ? sizeof(float) * (long)Config.VocabSize * h : 0;  // int8: the float table it quantizes

        long before = GC.GetAllocatedBytesForCurrentThread();
        using var engine = InferenceEngine.Create(Config, Read, new InferenceEngineOptions { Threads = 1, Quantization = quantization });
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        long expected = engine.WeightBytes + scratch + table, slack = 256 * 1024;                 // packing pads and object headers
        Assert.True(allocated <= expected + slack,
            $"{quantization}: building allocated {allocated:N0} bytes; weights {engine.WeightBytes:N0} + scratch {scratch:N0} + table {table:N0}");
    }

    [SkippableFact]
    public void A_missing_weight_names_the_key_and_its_size()
    {
        Skip.If(VectorWidths.Widest is null, "no accelerated vector width: the engine is not built here");
        var error = Assert.Throws<ArgumentException>(() => InferenceEngine.Create(Config,
            (name, destination) => name != "encoder.layer.1.output.dense.weight" && Read(name, destination)));

        Assert.Contains("'encoder.layer.1.output.dense.weight' of 65536 values", error.Message, StringComparison.Ordinal);
    }
}
