using System.Runtime.Intrinsics;
using SentenceMtl.Inference;
using SentenceMtl.Inference.Kernels;
using SentenceMtl.Inference.Vectors;

namespace SentenceMtl.PortableChecks;

/// <summary>
/// The 128-bit float32 kernels against plain double loops, with the tolerances of the x64 tests
/// (tests/SentenceMtl.Training.Tests/Inference/Kernels): <see cref="PackedLinear"/> and its epilogues,
/// <see cref="LayerNormKernel"/>, <see cref="AttentionKernel"/>, and (<see cref="SimdMathChecks"/>) <see cref="SimdMath"/>'s exp and GELU.
/// </summary>
internal static unsafe class FloatKernelChecks
{
    public static void Run(CheckLog log)
    {
        log.Guard("packed-linear", () => PackedLinearMatches(log));
        log.Guard("layer-norm", () => LayerNormMatches(log));
        log.Guard("attention", () => AttentionMatches(log));
        log.Guard("simd-exp", () => SimdMathChecks.ExpMatches(log));
        log.Guard("simd-gelu", () => SimdMathChecks.GeluMatches(log));
    }

    /// <summary>|ours − exact| ≤ 1e-5·(|exact| + rms) for every shape, epilogue and 1 or 2 threads (PackedLinearTests).</summary>
    private static void PackedLinearMatches(CheckLog log)
    {
        int[] rowCounts = [1, 5, 6, 7, 13, 31, 64], outputCounts = [40, 37, 96], inputCounts = [384, 37];
        foreach (var epilogue in Enum.GetValues<LinearEpilogue>())
        {
            double worst = 0;
            string worstCase = "none";
            int cases = 0;
            foreach (int k in inputCounts)
            {
                foreach (int n in outputCounts)
                {
                    var weight = Seeded.Normal(n + k, (long)n * k, 1 / Math.Sqrt(k));
                    var bias = Seeded.Normal(n - k, n, 0.5);
                    var packed = PackedLinear.Pack(weight, n, k, bias, VectorWidth.Bits128);
                    foreach (int rows in rowCounts)
                    {
                        var x = Seeded.Normal(rows, (long)rows * k, 2);
                        var prior = Seeded.Normal(rows + 1, (long)rows * n);
                        var exact = LinearReference(x, rows, k, weight, n, bias, epilogue, prior);
                        double rms = Math.Sqrt(exact.Average(v => v * v));
                        foreach (int threads in new[] { 1, 2 })
                        {
                            var y = RunLinear(packed, x, rows, epilogue, prior, threads);
                            for (int i = 0; i < y.Length; i++)
                            {
                                double error = Math.Abs(y[i] - exact[i]) / (Math.Abs(exact[i]) + rms);
                                if (error > worst || double.IsNaN(error))
                                {
                                    (worst, worstCase) = (double.IsNaN(error) ? double.PositiveInfinity : error, $"rows {rows}, K {k}, N {n}, {threads} threads, output {i}");
                                }
                            }

                            cases++;
                        }
                    }
                }
            }

            log.Check($"packed-linear-128 {epilogue}", worst <= 1e-5,
                $"{cases} cases, worst |ours − exact| / (|exact| + rms) = {CheckLog.G(worst)} (≤ 1e-5) at {worstCase}");
        }
    }

    private static float[] RunLinear(PackedLinear packed, float[] x, int rows, LinearEpilogue epilogue, float[] prior, int threads)
    {
        using var pool = new IntraOpThreadPool(threads);
        var input = Seeded.Aligned(x);
        var output = Seeded.Aligned(epilogue == LinearEpilogue.AddToOutput ? prior : new float[prior.Length]);
        packed.Multiply<Simd128, Vector128<float>>(input.Pointer, rows, output.Pointer, epilogue, pool);
        return output.Span.ToArray();
    }

    /// <summary>epilogue(x·Wᵀ + b) in double on the float inputs.</summary>
    private static double[] LinearReference(float[] x, int rows, int k, float[] weight, int n, float[] bias, LinearEpilogue epilogue, float[] prior)
    {
        var y = new double[rows * n];
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = bias[j];
                for (int i = 0; i < k; i++)
                {
                    sum += (double)x[(r * k) + i] * weight[(j * k) + i];
                }

                y[(r * n) + j] = epilogue switch
                {
                    LinearEpilogue.Gelu => DoubleMath.Gelu(sum),
                    LinearEpilogue.AddToOutput => sum + prior[(r * n) + j],
                    _ => sum,
                };
            }
        }

        return y;
    }

    /// <summary>|ours − exact| ≤ 1e-5 for rows of normal values and rows at 1e4 ± 1 (LayerNormKernelTests).</summary>
    private static void LayerNormMatches(CheckLog log)
    {
        foreach (bool farFromZero in new[] { false, true })
        {
            double worst = 0;
            int cases = 0;
            foreach (int columns in new[] { 384, 37 })
            {
                foreach (int rows in new[] { 1, 100 })
                {
                    foreach (double eps in new[] { 1e-12, 1e-5 })
                    {
                        var x = Seeded.Normal(rows * columns, (long)rows * columns).Select(v => farFromZero ? 1e4f + v : v).ToArray();
                        var gamma = Seeded.Normal(columns, columns, 0.5).Select(v => 1 + v).ToArray();
                        var beta = Seeded.Normal(columns + 1, columns, 0.5);
                        using var pool = new IntraOpThreadPool(farFromZero ? 1 : 2);
                        var buffer = Seeded.Aligned(x);
                        var g = Seeded.Aligned(gamma);
                        var b = Seeded.Aligned(beta);
                        LayerNormKernel.Apply<Simd128, Vector128<float>>(buffer.Pointer, rows, columns, g.Pointer, b.Pointer, (float)eps, pool);
                        var actual = buffer.Span;
                        for (int r = 0; r < rows; r++)
                        {
                            var row = x.AsSpan(r * columns, columns);
                            double mean = 0, variance = 0;
                            foreach (float v in row)
                            {
                                mean += v;
                            }

                            mean /= columns;
                            foreach (float v in row)
                            {
                                variance += (v - mean) * (v - mean);
                            }

                            double inverse = 1 / Math.Sqrt((variance / columns) + (float)eps);
                            for (int j = 0; j < columns; j++)
                            {
                                double exact = ((row[j] - mean) * inverse * gamma[j]) + beta[j];
                                double error = Math.Abs(actual[(r * columns) + j] - exact);
                                worst = double.IsNaN(error) ? double.PositiveInfinity : Math.Max(worst, error);
                            }
                        }

                        cases++;
                    }
                }
            }

            log.Check($"layer-norm-128 {(farFromZero ? "rows-at-1e4" : "normal-rows")}", worst <= 1e-5, $"{cases} cases, max |ours − exact| = {CheckLog.G(worst)} (≤ 1e-5)");
        }
    }

    /// <summary>|ours − exact| ≤ 1e-5 per sequence for three head shapes (AttentionKernelTests), and 1 and 2 threads bit for bit.</summary>
    private static void AttentionMatches(CheckLog log)
    {
        int[][] lengthSets = [[1], [3, 17, 1, 40]];
        foreach (var (heads, headSize) in new[] { (12, 32), (2, 12), (1, 5) })
        {
            double worst = 0;
            bool threadsAgree = true;
            foreach (var lengths in lengthSets)
            {
                int n = lengths.Sum(), h = heads * headSize;
                var qkv = Seeded.Normal(n * h, (long)n * 3 * h, 2);
                var expected = AttentionReference(qkv, lengths, heads, headSize);
                var one = RunAttention(qkv, lengths, heads, headSize, 1);
                var two = RunAttention(qkv, lengths, heads, headSize, 2);
                threadsAgree &= one.AsSpan().SequenceEqual(two);
                for (int i = 0; i < one.Length; i++)
                {
                    double error = Math.Abs(one[i] - expected[i]);
                    worst = double.IsNaN(error) ? double.PositiveInfinity : Math.Max(worst, error);
                }
            }

            log.Check($"attention-128 {heads}x{headSize}", worst <= 1e-5 && threadsAgree,
                $"max |ours − exact| = {CheckLog.G(worst)} (≤ 1e-5), 1 and 2 threads {(threadsAgree ? "identical" : "DIFFER")}");
        }
    }

    private static float[] RunAttention(float[] qkv, int[] lengths, int heads, int headSize, int threads)
    {
        using var pool = new IntraOpThreadPool(threads);
        var input = Seeded.Aligned(qkv);
        var output = new AlignedBuffer((long)lengths.Sum() * heads * headSize);
        AttentionKernel.Run<Simd128, Vector128<float>>(input.Pointer, output.Pointer, lengths, heads, headSize, pool);
        return output.Span.ToArray();
    }

    /// <summary>softmax(q·kᵀ/√d)·v per sequence and head, in double; rows of (3H) hold q, k, v with heads side by side.</summary>
    internal static double[] AttentionReference(float[] qkv, int[] lengths, int heads, int headSize)
    {
        int h = heads * headSize, stride = 3 * h;
        var y = new double[lengths.Sum() * h];
        int start = 0;
        foreach (int length in lengths)
        {
            for (int head = 0; head < heads; head++)
            {
                int offset = head * headSize;
                for (int i = 0; i < length; i++)
                {
                    var scores = new double[length];
                    for (int j = 0; j < length; j++)
                    {
                        double dot = 0;
                        for (int d = 0; d < headSize; d++)
                        {
                            dot += (double)qkv[((start + i) * stride) + offset + d] * qkv[((start + j) * stride) + h + offset + d];
                        }

                        scores[j] = dot / Math.Sqrt(headSize);
                    }

                    double max = scores.Max(), total = 0;
                    for (int j = 0; j < length; j++)
                    {
                        scores[j] = Math.Exp(scores[j] - max);
                        total += scores[j];
                    }

                    for (int d = 0; d < headSize; d++)
                    {
                        double sum = 0;
                        for (int j = 0; j < length; j++)
                        {
                            sum += scores[j] * qkv[((start + j) * stride) + (2 * h) + offset + d];
                        }

                        y[((start + i) * h) + offset + d] = sum / total;
                    }
                }
            }

            start += length;
        }

        return y;
    }
}
