using Microsoft.ML.OnnxRuntime;
using SentenceMtl.Inference;
using SentenceMtl.Inference.Vectors;
using SentenceMtl.Tests.Encoding;

namespace SentenceMtl.Tests.Inference;

/// <summary>
/// The inference engine against ONNX Runtime running the very ONNX file each embedded model was converted from, on the
/// same token ids, at every vector width (forced, so an AVX-512 machine also runs the 256- and 128-bit code): token
/// states within 1e-4, pooled embeddings with cosine ≥ 0.99999 for every pooling.
/// </summary>
[Collection(EmbeddedEncodersCollection.Name)]
public sealed class EngineOnnxParityTests(EmbeddedEncoders encoders)
{
    public static TheoryData<string, int> ModelsAndWidths => new()
    {
        { "all-MiniLM-L6-v2", 512 }, { "all-MiniLM-L6-v2", 256 }, { "all-MiniLM-L6-v2", 128 },
        { "snowflake-arctic-embed-xs", 512 }, { "snowflake-arctic-embed-xs", 256 }, { "snowflake-arctic-embed-xs", 128 },
    };

    [SkippableTheory]
    [MemberData(nameof(ModelsAndWidths))]
    public void Token_states_and_every_pooling_match_onnx_runtime(string model, int bits)
    {
        var width = (VectorWidth)bits;
        Skip.IfNot(VectorWidths.IsAccelerated(width), $"{width} vectors are not accelerated on this machine.");
        var encoder = encoders.Get(model);
        using var engine = encoder.CreateEngine(new InferenceEngineOptions { Width = width, Threads = 2 });
        Assert.Equal(width, engine.Width);
        using var session = new InferenceSession(TestPaths.OriginalOnnx(model));
        var texts = OnnxReference.Texts();
        Assert.True(texts.Count >= 200);
        var ids = encoder.TokenizeAll(texts);
        int h = encoder.Dimension;
        var reference = new float[ids.Length][];                                                  // each text's (length, H) states
        double worstDiff = 0;
        foreach (var batch in Enumerable.Range(0, ids.Length).Chunk(16))
        {
            var rows = batch.Select(i => ids[i]).ToArray();
            int t = rows.Max(r => r.Length);
            float[] padded = OnnxReference.RunOnnx(session, rows, t);                                           // (b, t, H)
            float[] ours = engine.TokenStates(rows);                                              // (Σ lengths, H), no padding
            Assert.Equal(rows.Sum(r => r.Length) * h, ours.Length);
            for (int r = 0, packedRow = 0; r < rows.Length; packedRow += rows[r].Length, r++)
            {
                reference[batch[r]] = padded.AsSpan(r * t * h, rows[r].Length * h).ToArray();
                for (int j = 0; j < rows[r].Length * h; j++)
                {
                    worstDiff = Math.Max(worstDiff, Math.Abs(ours[(packedRow * h) + j] - reference[batch[r]][j]));
                }
            }
        }

        double worstCosine = 1;
        foreach (var pooling in Enum.GetValues<PoolingStrategy>())
        {
            var pooled = engine.Embed(ids, batchSize: 16, pooling);
            Assert.Equal(ids.Length, pooled.Length);
            for (int i = 0; i < ids.Length; i++)
            {
                var expected = OnnxReference.ReferencePool(reference[i], 0, ids[i].Length, ids[i].Length, h, pooling);
                worstCosine = Math.Min(worstCosine, SentenceEncoder.CosineSimilarity(pooled[i], expected));
            }
        }

        Assert.True(worstDiff <= 1e-4, $"max |engine − ONNX Runtime| of token states = {worstDiff:g3} at {width}");
        Assert.True(worstCosine >= 0.99999, $"min pooled cosine = {worstCosine:f7} at {width}");
    }
}
