using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using static TorchSharp.torch;

namespace SentenceMtl.Tests.Encoding;

/// <summary>
/// The TorchSharp forward pass against ONNX Runtime running the very ONNX file the model folder was converted from,
/// on the same token ids: token states within 1e-4, pooled embeddings with cosine ≥ 0.99999, every pooling.
/// </summary>
[Collection(EmbeddedEncodersCollection.Name)]
public sealed class OnnxParityTests(EmbeddedEncoders encoders)
{
    /// <summary>≥ 200 texts of varied length: short package descriptions, paragraphs (some past 256 tokens), and tricky ones.</summary>
    internal static List<string> Texts()
    {
        var texts = File.ReadLines(TestPaths.Sentences).Take(120).ToList();
        var paragraphs = File.ReadLines(TestPaths.Paragraphs).ToList();
        texts.AddRange(paragraphs.Where((_, i) => i % 20 == 0).Take(90));
        texts.Add(string.Join(' ', paragraphs.Take(8)));                 // longer than every max length: truncated
        texts.AddRange(["", "   ", "C++ & C# for $5+3=8!", "naïve café Ångström", "我爱北京天安门", "emoji 🤗😀 text", "tabs\tand\nnewlines"]);
        return texts;
    }

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
        var texts = Texts();
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
            float[] reference = RunOnnx(session, rows, t);                                    // (b, t, h)

            using var scope = NewDisposeScope();
            using var inference = inference_mode();
            var (inputIds, mask) = encoder.Collate(rows);
            var states = encoder.Backbone.forward(inputIds, mask);                            // (b, t, h)
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
                    var expected = ReferencePool(reference, r, rows[r].Length, t, h, pooling);
                    worstCosine = Math.Min(worstCosine, SentenceEncoder.CosineSimilarity(pooled.AsSpan(r * h, h), expected));
                }
            }
        }

        Assert.True(worstDiff <= 1e-4, $"max |diff| of token states = {worstDiff:g3}");
        Assert.True(worstCosine >= 0.99999, $"min pooled cosine = {worstCosine:f7}");
    }

    /// <summary>ONNX Runtime's last hidden states for padded rows of token ids, (b, t, H).</summary>
    internal static float[] RunOnnx(InferenceSession session, int[][] rows, int t)
    {
        int b = rows.Length;
        var ids = new DenseTensor<long>([b, t]);
        var mask = new DenseTensor<long>([b, t]);
        var types = new DenseTensor<long>([b, t]);
        for (int r = 0; r < b; r++)
        {
            for (int j = 0; j < rows[r].Length; j++)
            {
                ids[r, j] = rows[r][j];
                mask[r, j] = 1;
            }
        }

        using var results = session.Run(
        [
            NamedOnnxValue.CreateFromTensor("input_ids", ids),
            NamedOnnxValue.CreateFromTensor("attention_mask", mask),
            NamedOnnxValue.CreateFromTensor("token_type_ids", types),
        ]);
        return results.First(r => r.Name == "last_hidden_state").AsTensor<float>().ToArray();
    }

    /// <summary>An independent, plain-loop implementation of sentence-transformers' pooling.</summary>
    internal static float[] ReferencePool(float[] states, int row, int length, int t, int h, PoolingStrategy pooling)
    {
        var result = new float[h];
        for (int k = 0; k < h; k++)
        {
            double acc = pooling == PoolingStrategy.Max ? double.NegativeInfinity : 0;
            for (int j = 0; j < length; j++)
            {
                double v = states[(row * t * h) + (j * h) + k];
                acc = pooling == PoolingStrategy.Max ? Math.Max(acc, v) : acc + v;
            }

            result[k] = pooling switch
            {
                PoolingStrategy.Cls => states[(row * t * h) + k],
                PoolingStrategy.Mean => (float)(acc / length),
                PoolingStrategy.MeanSqrtLen => (float)(acc / Math.Sqrt(length)),
                _ => (float)acc,
            };
        }

        return result;
    }
}
