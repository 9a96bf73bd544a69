using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace SentenceMtl.Tests.Encoding;

/// <summary>The parity tests' reference: ONNX Runtime on the original exports, the texts they run, and plain-loop pooling.</summary>
internal static class OnnxReference
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
