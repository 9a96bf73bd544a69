using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SentenceMtl.Modeling.Kernels;

/// <summary>
/// The three matrix products of a linear layer's training step, for the small batches of classification heads
/// (a few dozen rows): forward y = x·Wᵀ + b, weight gradient dW = dyᵀ·x, input gradient dx = dy·W. Row-major spans,
/// 16 floats at a time, one thread; results are written, not accumulated.
/// </summary>
/// <remarks>
/// At 16 rows a libtorch product costs about as much in fixed per-call work as in arithmetic; here each product is one
/// pass over the weight. The forward product keeps 4 × 4 dot products in registers (each weight row read once per
/// 4 input rows); the other two accumulate 64-float strips of the output over the inner dimension.
/// </remarks>
internal static unsafe class SmallMatrixProducts
{
    private const int Lanes = 16;

    /// <summary>y (m × n) = x (m × k) · wᵀ + bias, with w (n × k) as a <c>Linear</c> layer stores it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LinearForward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, int m, int n, int k)
    {
        Check(x, m, k, nameof(x));
        Check(w, n, k, nameof(w));
        Check(bias, 1, n, nameof(bias));
        Check(y, m, n, nameof(y));
        fixed (float* px = x, pw = w, pb = bias, py = y)
        {
            int i = 0;
            for (; i + 4 <= m; i += 4)
            {
                int j = 0;
                for (; j + 4 <= n; j += 4)
                {
                    Dot4x4(px + (i * k), pw + (j * k), k, pb + j, py + (i * n) + j, n);
                }

                for (; j < n; j++)
                {
                    for (int r = i; r < i + 4; r++)
                    {
                        py[(r * n) + j] = Dot(px + (r * k), pw + (j * k), k) + pb[j];
                    }
                }
            }

            for (; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    py[(i * n) + j] = Dot(px + (i * k), pw + (j * k), k) + pb[j];
                }
            }
        }
    }

    /// <summary>The weight gradient g (n × k) = dyᵀ · x, for dy (m × n) and x (m × k).</summary>
    public static void WeightGradient(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> g, int m, int n, int k)
    {
        Check(dy, m, n, nameof(dy));
        Check(x, m, k, nameof(x));
        Check(g, n, k, nameof(g));
        fixed (float* pdy = dy, px = x, pg = g)
        {
            // g[j, :] = Σ_r dy[r, j] · x[r, :]
            CombineRows(pdy, coefficientRowStride: 1, coefficientStride: n, px, pg, outputRows: n, inner: m, k);
        }
    }

    /// <summary>The input gradient dx (m × k) = dy · w, for dy (m × n) and w (n × k).</summary>
    public static void InputGradient(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx, int m, int n, int k)
    {
        Check(dy, m, n, nameof(dy));
        Check(w, n, k, nameof(w));
        Check(dx, m, k, nameof(dx));
        fixed (float* pdy = dy, pw = w, pdx = dx)
        {
            // dx[r, :] = Σ_j dy[r, j] · w[j, :]
            CombineRows(pdy, coefficientRowStride: n, coefficientStride: 1, pw, pdx, outputRows: m, inner: n, k);
        }
    }

    /// <summary>
    /// output[p, :] = Σ_q a(p, q) · rows[q, :] with a(p, q) = coefficients[p·coefficientRowStride + q·coefficientStride]:
    /// each 64-float strip of an output row is accumulated in four registers over q, then stored once.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CombineRows(float* coefficients, int coefficientRowStride, int coefficientStride, float* rows,
        float* output, int outputRows, int inner, int k)
    {
        for (int p = 0; p < outputRows; p++)
        {
            float* a = coefficients + (p * coefficientRowStride);
            float* o = output + (p * k);
            int c = 0;
            for (; c + (4 * Lanes) <= k; c += 4 * Lanes)
            {
                Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
                for (int q = 0; q < inner; q++)
                {
                    var aq = Vector512.Create(a[q * coefficientStride]);
                    float* row = rows + (q * k) + c;
                    s0 = Vector512.FusedMultiplyAdd(Vector512.Load(row), aq, s0);
                    s1 = Vector512.FusedMultiplyAdd(Vector512.Load(row + Lanes), aq, s1);
                    s2 = Vector512.FusedMultiplyAdd(Vector512.Load(row + (2 * Lanes)), aq, s2);
                    s3 = Vector512.FusedMultiplyAdd(Vector512.Load(row + (3 * Lanes)), aq, s3);
                }

                s0.Store(o + c);
                s1.Store(o + c + Lanes);
                s2.Store(o + c + (2 * Lanes));
                s3.Store(o + c + (3 * Lanes));
            }

            for (; c + Lanes <= k; c += Lanes)
            {
                Vector512<float> s = default;
                for (int q = 0; q < inner; q++)
                {
                    s = Vector512.FusedMultiplyAdd(Vector512.Load(rows + (q * k) + c), Vector512.Create(a[q * coefficientStride]), s);
                }

                s.Store(o + c);
            }

            for (; c < k; c++)
            {
                float s = 0;
                for (int q = 0; q < inner; q++)
                {
                    s += a[q * coefficientStride] * rows[(q * k) + c];
                }

                o[c] = s;
            }
        }
    }

    /// <summary>Sixteen dot products: rows x[0..4) with rows w[0..4), written to y[r, j] plus bias[j].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4x4(float* x, float* w, int k, float* bias, float* y, int yStride)
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        int c = 0;
        for (; c + Lanes <= k; c += Lanes)
        {
            var w0 = Vector512.Load(w + c);
            var w1 = Vector512.Load(w + k + c);
            var w2 = Vector512.Load(w + (2 * k) + c);
            var w3 = Vector512.Load(w + (3 * k) + c);
            var x0 = Vector512.Load(x + c);
            a00 = Vector512.FusedMultiplyAdd(x0, w0, a00);
            a01 = Vector512.FusedMultiplyAdd(x0, w1, a01);
            a02 = Vector512.FusedMultiplyAdd(x0, w2, a02);
            a03 = Vector512.FusedMultiplyAdd(x0, w3, a03);
            var x1 = Vector512.Load(x + k + c);
            a10 = Vector512.FusedMultiplyAdd(x1, w0, a10);
            a11 = Vector512.FusedMultiplyAdd(x1, w1, a11);
            a12 = Vector512.FusedMultiplyAdd(x1, w2, a12);
            a13 = Vector512.FusedMultiplyAdd(x1, w3, a13);
            var x2 = Vector512.Load(x + (2 * k) + c);
            a20 = Vector512.FusedMultiplyAdd(x2, w0, a20);
            a21 = Vector512.FusedMultiplyAdd(x2, w1, a21);
            a22 = Vector512.FusedMultiplyAdd(x2, w2, a22);
            a23 = Vector512.FusedMultiplyAdd(x2, w3, a23);
            var x3 = Vector512.Load(x + (3 * k) + c);
            a30 = Vector512.FusedMultiplyAdd(x3, w0, a30);
            a31 = Vector512.FusedMultiplyAdd(x3, w1, a31);
            a32 = Vector512.FusedMultiplyAdd(x3, w2, a32);
            a33 = Vector512.FusedMultiplyAdd(x3, w3, a33);
        }

        Span<float> sums =
        [
            Vector512.Sum(a00), Vector512.Sum(a01), Vector512.Sum(a02), Vector512.Sum(a03),
            Vector512.Sum(a10), Vector512.Sum(a11), Vector512.Sum(a12), Vector512.Sum(a13),
            Vector512.Sum(a20), Vector512.Sum(a21), Vector512.Sum(a22), Vector512.Sum(a23),
            Vector512.Sum(a30), Vector512.Sum(a31), Vector512.Sum(a32), Vector512.Sum(a33),
        ];
        for (int r = 0; r < 4; r++)
        {
            for (int j = 0; j < 4; j++)
            {
                float s = sums[(r * 4) + j];
                for (int t = c; t < k; t++)
                {
                    s += x[(r * k) + t] * w[(j * k) + t];                                          // the last k mod 16
                }

                y[(r * yStride) + j] = s + bias[j];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot(float* x, float* w, int k)
    {
        Vector512<float> acc = default;
        int c = 0;
        for (; c + Lanes <= k; c += Lanes)
        {
            acc = Vector512.FusedMultiplyAdd(Vector512.Load(x + c), Vector512.Load(w + c), acc);
        }

        float s = Vector512.Sum(acc);
        for (; c < k; c++)
        {
            s += x[c] * w[c];
        }

        return s;
    }

    private static void Check(ReadOnlySpan<float> span, int rows, int columns, string name)
    {
        if ((long)rows * columns > span.Length)
        {
            throw new ArgumentException($"{name} holds {span.Length} values; a {rows} × {columns} matrix needs {(long)rows * columns}.", name);
        }
    }
}
