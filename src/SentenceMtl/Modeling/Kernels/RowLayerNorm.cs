using System.Runtime.Intrinsics;

namespace SentenceMtl.Modeling.Kernels;

/// <summary>
/// Layer normalization of every row of a row-major buffer, in place, as <c>torch.nn.LayerNorm</c> over the last
/// dimension: (x − mean) / √(var + eps) · γ + β with the biased variance.
/// </summary>
internal static unsafe class RowLayerNorm
{
    private const int Lanes = 16;

    /// <summary>Normalizes rows [0, <paramref name="rows"/>) of <paramref name="x"/>, <paramref name="width"/> values each.</summary>
    /// <param name="x">The rows, overwritten.</param>
    /// <param name="rows">How many rows.</param>
    /// <param name="width">Values per row (at least 1).</param>
    /// <param name="gamma">The <paramref name="width"/> weights.</param>
    /// <param name="beta">The <paramref name="width"/> biases.</param>
    /// <param name="eps">Added to the variance.</param>
    public static void Apply(float* x, long rows, int width, float* gamma, float* beta, float eps)
    {
        var job = new Job(x, width, gamma, beta, eps);
        InferenceThreads.Split((int)rows, rows * width * 8, job.Run);
    }

    private readonly struct Job(float* x, int width, float* gamma, float* beta, float eps)
    {
        public void Run(int first, int end)
        {
            int vectorEnd = width / Lanes * Lanes;
            for (long r = first; r < end; r++)
            {
                float* row = x + (r * width);
                var acc = Vector512<float>.Zero;
                float sum = 0f;
                int j = 0;
                for (; j < vectorEnd; j += Lanes)
                {
                    acc += Vector512.Load(row + j);
                }

                for (; j < width; j++)
                {
                    sum += row[j];
                }

                float mean = (Vector512.Sum(acc) + sum) / width;
                var centre = Vector512.Create(mean);
                acc = Vector512<float>.Zero;
                sum = 0f;
                for (j = 0; j < vectorEnd; j += Lanes)
                {
                    var d = Vector512.Load(row + j) - centre;
                    acc = Vector512.FusedMultiplyAdd(d, d, acc);
                }

                for (; j < width; j++)
                {
                    sum += (row[j] - mean) * (row[j] - mean);
                }

                float inverse = 1f / MathF.Sqrt(((Vector512.Sum(acc) + sum) / width) + eps);
                var scale = Vector512.Create(inverse);
                for (j = 0; j < vectorEnd; j += Lanes)
                {
                    var normalized = (Vector512.Load(row + j) - centre) * scale;
                    Vector512.FusedMultiplyAdd(normalized, Vector512.Load(gamma + j), Vector512.Load(beta + j)).Store(row + j);
                }

                for (; j < width; j++)
                {
                    row[j] = ((row[j] - mean) * inverse * gamma[j]) + beta[j];
                }
            }
        }
    }
}
