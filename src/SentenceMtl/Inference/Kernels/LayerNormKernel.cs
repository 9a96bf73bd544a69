using SentenceMtl.Inference.Vectors;

namespace SentenceMtl.Inference.Kernels;

/// <summary>
/// Layer normalization of every row of a row-major buffer, in place, as <c>torch.nn.LayerNorm</c> over the last
/// dimension: (x − mean) / √(var + eps) · γ + β with the biased variance. The mean is taken first and the variance
/// from the centred values (two passes), which keeps its precision for rows far from zero.
/// </summary>
/// <remarks>
/// Both passes work on the deviations from the row's first value, d = x − x₀, and centre as d − mean(d). For a row far
/// from zero (values near 1e4, spread about 1) the deviations are exact, so their mean keeps full precision; the mean
/// of x itself, rounded to a float near 1e4, would be off by up to half its ulp (5e-4) and shift every output by that
/// much over the spread.
/// </remarks>
internal static unsafe class LayerNormKernel
{
    /// <summary>Normalizes rows [0, <paramref name="rows"/>) of <paramref name="x"/>, <paramref name="width"/> values each.</summary>
    /// <param name="x">The rows, overwritten.</param>
    /// <param name="rows">How many rows.</param>
    /// <param name="width">Values per row (at least 1).</param>
    /// <param name="gamma">The <paramref name="width"/> weights.</param>
    /// <param name="beta">The <paramref name="width"/> biases.</param>
    /// <param name="eps">Added to the variance.</param>
    /// <param name="pool">The threads to split the rows over.</param>
    public static void Apply<TS, TV>(float* x, long rows, int width, float* gamma, float* beta, float eps, IntraOpThreadPool pool)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        var job = new Job<TS, TV>(x, width, gamma, beta, eps);
        pool.For((int)rows, rows * width * 8, job.Run);
    }

    private readonly struct Job<TS, TV>(float* x, int width, float* gamma, float* beta, float eps)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        public void Run(int first, int end)
        {
            int lanes = TS.Count, vectorEnd = width / lanes * lanes;
            for (long r = first; r < end; r++)
            {
                float* row = x + (r * width);
                float x0 = row[0];                                                                // deviations from it: see the remarks
                var shift = TS.Broadcast(x0);
                var acc = TS.Zero;
                float tail = 0f;
                int j = 0;
                for (; j < vectorEnd; j += lanes)
                {
                    acc = TS.Add(acc, TS.Subtract(TS.Load(row + j), shift));
                }

                for (; j < width; j++)
                {
                    tail += row[j] - x0;
                }

                float mean = (TS.Sum(acc) + tail) / width;                                       // of the deviations
                var centre = TS.Broadcast(mean);
                acc = TS.Zero;
                tail = 0f;
                for (j = 0; j < vectorEnd; j += lanes)
                {
                    var d = TS.Subtract(TS.Subtract(TS.Load(row + j), shift), centre);
                    acc = TS.MultiplyAdd(d, d, acc);
                }

                for (; j < width; j++)
                {
                    float d = row[j] - x0 - mean;
                    tail += d * d;
                }

                float inverse = 1f / MathF.Sqrt(((TS.Sum(acc) + tail) / width) + eps);
                var scale = TS.Broadcast(inverse);
                for (j = 0; j < vectorEnd; j += lanes)
                {
                    var normalized = TS.Multiply(TS.Subtract(TS.Subtract(TS.Load(row + j), shift), centre), scale);
                    TS.Store(TS.MultiplyAdd(normalized, TS.Load(gamma + j), TS.Load(beta + j)), row + j);
                }

                for (; j < width; j++)
                {
                    row[j] = ((row[j] - x0 - mean) * inverse * gamma[j]) + beta[j];
                }
            }
        }
    }
}
