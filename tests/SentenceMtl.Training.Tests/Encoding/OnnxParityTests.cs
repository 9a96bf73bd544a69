using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace SentenceMtl.Tests.Encoding;

/// <summary>
/// The TorchSharp forward pass against ONNX Runtime running the very ONNX file the model folder was converted from,
/// on the same token ids: token states within 1e-4, pooled embeddings with cosine ≥ 0.99999, every pooling.
/// </summary>
[Collection(EmbeddedEncodersCollection.Name)]
public sealed class OnnxParityTests(EmbeddedEncoders encoders)
{
    public static TheoryData<string, bool> ModelsAndOrders => new()
    {
        { "all-MiniLM-L6-v2", true }, { "all-MiniLM-L6-v2", false },
        { "snowflake-arctic-embed-xs", true }, { "snowflake-arctic-embed-xs", false },
    };

    /// <param name="model">Embedded model name.</param>
    /// <param name="sortedByLength">True: length-sorted batches (little padding, dense path); false: shuffled
    /// batches (much padding, so the backbone packs real tokens around attention).</param>
    [Theory]
    [MemberData(nameof(ModelsAndOrders))]
    public void Token_states_and_every_pooling_match_onnx_runtime(string model, bool sortedByLength)
    {
        var encoder = encoders.Get(model);
        using var session = new InferenceSession(TestPaths.OriginalOnnx(model));
        var texts = OnnxReference.Texts();
        Assert.True(texts.Count >= 200);
        var ids = encoder.TokenizeAll(texts);
        var order = sortedByLength
            ? Enumerable.Range(0, texts.Count).OrderBy(i => ids[i].Length).ToArray()
            : Enumerable.Range(0, texts.Count).OrderBy(i => (i * 7919) % texts.Count).ToArray();
        double worstDiff = 0, worstCosine = 1;
        foreach (var batch in order.Chunk(16))
        {
            var rows = batch.Select(i => ids[i]).ToArray();
            int b = rows.Length, t = rows.Max(r => r.Length), h = encoder.Dimension;
            float[] reference = OnnxReference.RunOnnx(session, rows, t);                                    // (b, t, h)

            using var scope = NewDisposeScope();
            using var inference = inference_mode();
            var (inputIds, mask) = encoder.Torch().Collate(rows);
            var states = encoder.Torch().Backbone.forward(inputIds, mask);                            // (b, t, h)
            float[] ours = states.contiguous().data<float>().ToArray();
            for (int r = 0; r < b; r++)
            {
                for (int j = 0; j < rows[r].Length * h; j++)
                {
                    worstDiff = Math.Max(worstDiff, Math.Abs(ours[(r * t * h) + j] - reference[(r * t * h) + j]));
                }
            }

            foreach (var pooling in Enum.GetValues<PoolingStrategy>())
            {
                var pooled = Pooling.Pool(states, mask, pooling).data<float>().ToArray();
                for (int r = 0; r < b; r++)
                {
                    var expected = OnnxReference.ReferencePool(reference, r, rows[r].Length, t, h, pooling);
                    worstCosine = Math.Min(worstCosine, SentenceEncoder.CosineSimilarity(pooled.AsSpan(r * h, h), expected));
                }
            }
        }

        Assert.True(worstDiff <= 1e-4, $"max |diff| of token states = {worstDiff:g3}");
        Assert.True(worstCosine >= 0.99999, $"min pooled cosine = {worstCosine:f7}");
    }
}
