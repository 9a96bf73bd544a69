using SentenceMtl.Inference;
using SentenceMtl.Inference.Vectors;
using SentenceMtl.Tests.Encoding;
using static TorchSharp.torch;

namespace SentenceMtl.Tests.Inference;

/// <summary>
/// The engine's token states against libtorch's forward pass of the same model on the same token ids, at every vector
/// width (forced, so an AVX-512 machine also runs the 256- and 128-bit code): within 1e-4.
/// </summary>
[Collection(EmbeddedEncodersCollection.Name)]
public sealed class InferenceEngineParityTests(EmbeddedEncoders encoders)
{
    public static TheoryData<string, int> ModelsAndWidths => new()
    {
        { "all-MiniLM-L6-v2", 512 }, { "all-MiniLM-L6-v2", 256 }, { "all-MiniLM-L6-v2", 128 },
        { "snowflake-arctic-embed-xs", 512 }, { "snowflake-arctic-embed-xs", 256 }, { "snowflake-arctic-embed-xs", 128 },
    };

    [SkippableTheory]
    [MemberData(nameof(ModelsAndWidths))]
    public void Token_states_match_libtorch(string model, int bits)
    {
        var width = (VectorWidth)bits;
        Skip.IfNot(VectorWidths.IsAccelerated(width), $"{width} vectors are not accelerated on this machine.");
        var encoder = encoders.Get(model);
        using var engine = encoder.CreateEngine(new InferenceEngineOptions { Width = width, Threads = 2 });
        var texts = File.ReadLines(TestPaths.Sentences).Take(40).Concat(File.ReadLines(TestPaths.Paragraphs).Take(6)).ToList();
        var ids = encoder.TokenizeAll(texts);
        double worst = 0;
        foreach (var batch in ids.Chunk(12))
        {
            float[] ours = engine.TokenStates(batch);
            using var scope = NewDisposeScope();
            using var inference = inference_mode();
            var (inputIds, mask) = encoder.Torch().Collate(batch);
            var states = encoder.Torch().Backbone.forward(inputIds, mask).contiguous();              // (b, t, h)
            float[] reference = states.data<float>().ToArray();
            int t = batch.Max(r => r.Length), h = encoder.Dimension, row = 0;
            for (int r = 0; r < batch.Length; r++)
            {
                for (int j = 0; j < batch[r].Length; j++, row++)
                {
                    for (int d = 0; d < h; d++)
                    {
                        worst = Math.Max(worst, Math.Abs(ours[(row * h) + d] - reference[(((r * t) + j) * h) + d]));
                    }
                }
            }
        }

        Assert.True(worst <= 1e-4, $"max |engine − libtorch| = {worst:g3} at {width}");
    }
}
