using SentenceMtl.Modeling.Bert;

namespace SentenceMtl.PortableChecks;

/// <summary>
/// Hugging Face's <c>BertModel</c> forward pass in plain double loops, one sequence at a time (no padding, so no mask),
/// then mean pooling and L2 normalization: what the engine's embedding of the same token ids should be.
/// </summary>
internal sealed class ReferenceBert(BertConfig config, Dictionary<string, (long[] Shape, float[] Values)> weights)
{
    private readonly int h = config.HiddenSize;

    /// <summary>The normalized mean-pooled embedding of one sequence of token ids.</summary>
    public double[] Embed(int[] ids)
    {
        int n = ids.Length;
        var x = new double[n * h];
        var words = W("embeddings.word_embeddings.weight");
        var positions = W("embeddings.position_embeddings.weight");
        var types = W("embeddings.token_type_embeddings.weight");
        for (int t = 0; t < n; t++)
        {
            for (int j = 0; j < h; j++)
            {
                x[(t * h) + j] = (double)words[(ids[t] * h) + j] + positions[(t * h) + j] + types[j];
            }
        }

        LayerNorm(x, n, "embeddings.LayerNorm");
        for (int layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            string p = $"encoder.layer.{layer}.";
            var qkv = new double[n * 3 * h];
            var q = Linear(x, n, h, p + "attention.self.query");
            var k = Linear(x, n, h, p + "attention.self.key");
            var v = Linear(x, n, h, p + "attention.self.value");
            for (int t = 0; t < n; t++)
            {
                Array.Copy(q, t * h, qkv, t * 3 * h, h);
                Array.Copy(k, t * h, qkv, (t * 3 * h) + h, h);
                Array.Copy(v, t * h, qkv, (t * 3 * h) + (2 * h), h);
            }

            var attended = Attention(qkv, n);
            var output = Linear(attended, n, h, p + "attention.output.dense");
            Add(output, x);
            LayerNorm(output, n, p + "attention.output.LayerNorm");
            var intermediate = Linear(output, n, h, p + "intermediate.dense");
            for (int i = 0; i < intermediate.Length; i++)
            {
                intermediate[i] = DoubleMath.Gelu(intermediate[i]);
            }

            x = Linear(intermediate, n, config.IntermediateSize, p + "output.dense");
            Add(x, output);
            LayerNorm(x, n, p + "output.LayerNorm");
        }

        var pooled = new double[h];
        for (int t = 0; t < n; t++)
        {
            for (int j = 0; j < h; j++)
            {
                pooled[j] += x[(t * h) + j] / n;
            }
        }

        double norm = Math.Sqrt(pooled.Sum(value => value * value));
        return [.. pooled.Select(value => value / Math.Max(norm, 1e-12))];
    }

    private float[] W(string name) => weights[name].Values;

    /// <summary>y = x·Wᵀ + b for rows of <paramref name="k"/> values (W stored (N, K) as PyTorch's Linear).</summary>
    private double[] Linear(double[] x, int rows, int k, string name)
    {
        var w = W(name + ".weight");
        var b = W(name + ".bias");
        int outputs = b.Length;
        var y = new double[rows * outputs];
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < outputs; j++)
            {
                double sum = b[j];
                for (int i = 0; i < k; i++)
                {
                    sum += x[(r * k) + i] * w[(j * k) + i];
                }

                y[(r * outputs) + j] = sum;
            }
        }

        return y;
    }

    private double[] Attention(double[] qkv, int n)
    {
        int heads = config.NumAttentionHeads, size = h / heads, stride = 3 * h;
        var y = new double[n * h];
        for (int head = 0; head < heads; head++)
        {
            int offset = head * size;
            for (int i = 0; i < n; i++)
            {
                var scores = new double[n];
                for (int j = 0; j < n; j++)
                {
                    double dot = 0;
                    for (int d = 0; d < size; d++)
                    {
                        dot += qkv[(i * stride) + offset + d] * qkv[(j * stride) + h + offset + d];
                    }

                    scores[j] = dot / Math.Sqrt(size);
                }

                double max = scores.Max(), total = 0;
                for (int j = 0; j < n; j++)
                {
                    scores[j] = Math.Exp(scores[j] - max);
                    total += scores[j];
                }

                for (int d = 0; d < size; d++)
                {
                    double sum = 0;
                    for (int j = 0; j < n; j++)
                    {
                        sum += scores[j] * qkv[(j * stride) + (2 * h) + offset + d];
                    }

                    y[(i * h) + offset + d] = sum / total;
                }
            }
        }

        return y;
    }

    private static void Add(double[] target, double[] other)
    {
        for (int i = 0; i < target.Length; i++)
        {
            target[i] += other[i];
        }
    }

    /// <summary>(x − mean) / √(var + eps) · γ + β per row, the biased variance.</summary>
    private void LayerNorm(double[] x, int rows, string name)
    {
        var gamma = W(name + ".weight");
        var beta = W(name + ".bias");
        for (int r = 0; r < rows; r++)
        {
            var row = x.AsSpan(r * h, h);
            double mean = 0, variance = 0;
            foreach (double v in row)
            {
                mean += v;
            }

            mean /= h;
            foreach (double v in row)
            {
                variance += (v - mean) * (v - mean);
            }

            double inverse = 1 / Math.Sqrt((variance / h) + config.LayerNormEps);
            for (int j = 0; j < h; j++)
            {
                row[j] = ((row[j] - mean) * inverse * gamma[j]) + beta[j];
            }
        }
    }
}
