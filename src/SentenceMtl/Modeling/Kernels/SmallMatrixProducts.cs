using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SentenceMtl.Modeling.Kernels;

/// <summary>
/// The three matrix products of a linear layer's training step, for the small batches of classification heads
/// (a few dozen rows): forward y = x·Wᵀ + b, weight gradient dW = dyᵀ·x, input gradient dx = dy·W. Row-major spans,
/// 16 floats at a time, one thread; results are written, not accumulated.
/// </summary>
/// <remarks>
/// At 16 rows a libtorch product costs about as much in fixed per-call work as in arithmetic; here each product is one
/// pass over the weight. The forward product keeps 4 × 4 dot products in registers (each weight row read once per
/// 4 input rows); the other two accumulate 64-float strips of four output rows at a time over the inner dimension
/// (each strip of the combined rows loaded once for the four). Callers check <see cref="Vector512.IsHardwareAccelerated"/>
/// (x86 with AVX-512, so SSE3's horizontal add is there too).
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
    /// four output rows at a time (<see cref="CombineFourRows"/>), then the last outputRows mod 4 one by one, each 64-float
    /// strip of a row accumulated in four registers over q and stored once.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CombineRows(float* coefficients, int coefficientRowStride, int coefficientStride, float* rows,
        float* output, int outputRows, int inner, int k)
    {
        int first = 0;
        for (; first + 4 <= outputRows; first += 4)
        {
            CombineFourRows(coefficients + (first * coefficientRowStride), coefficientRowStride, coefficientStride, rows, output + (first * k), inner, k);
        }

        for (int p = first; p < outputRows; p++)
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

                StoreStrip(o + c, s0, s1, s2, s3);
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

    /// <summary>
    /// <see cref="CombineRows"/> for four output rows at once: each 64-float strip of the four rows is a 4 × 4 block of
    /// registers, so every strip of <paramref name="rows"/> loaded serves four rows (one row at a time loaded a vector per
    /// multiply-add); the strip's last k mod 64 values go 16 at a time, then one by one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CombineFourRows(float* a, int coefficientRowStride, int coefficientStride, float* rows, float* output, int inner, int k)
    {
        float* a1 = a + coefficientRowStride, a2 = a + (2 * coefficientRowStride), a3 = a + (3 * coefficientRowStride);
        float* o1 = output + k, o2 = output + (2 * k), o3 = output + (3 * k);
        int c = 0;
        for (; c + (4 * Lanes) <= k; c += 4 * Lanes)
        {
            Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default;
            Vector512<float> s10 = default, s11 = default, s12 = default, s13 = default;
            Vector512<float> s20 = default, s21 = default, s22 = default, s23 = default;
            Vector512<float> s30 = default, s31 = default, s32 = default, s33 = default;
            for (int q = 0; q < inner; q++)
            {
                float* row = rows + (q * k) + c;
                var r0 = Vector512.Load(row);
                var r1 = Vector512.Load(row + Lanes);
                var r2 = Vector512.Load(row + (2 * Lanes));
                var r3 = Vector512.Load(row + (3 * Lanes));
                int at = q * coefficientStride;
                var c0 = Vector512.Create(a[at]);
                s00 = Vector512.FusedMultiplyAdd(r0, c0, s00);
                s01 = Vector512.FusedMultiplyAdd(r1, c0, s01);
                s02 = Vector512.FusedMultiplyAdd(r2, c0, s02);
                s03 = Vector512.FusedMultiplyAdd(r3, c0, s03);
                var c1 = Vector512.Create(a1[at]);
                s10 = Vector512.FusedMultiplyAdd(r0, c1, s10);
                s11 = Vector512.FusedMultiplyAdd(r1, c1, s11);
                s12 = Vector512.FusedMultiplyAdd(r2, c1, s12);
                s13 = Vector512.FusedMultiplyAdd(r3, c1, s13);
                var c2 = Vector512.Create(a2[at]);
                s20 = Vector512.FusedMultiplyAdd(r0, c2, s20);
                s21 = Vector512.FusedMultiplyAdd(r1, c2, s21);
                s22 = Vector512.FusedMultiplyAdd(r2, c2, s22);
                s23 = Vector512.FusedMultiplyAdd(r3, c2, s23);
                var c3 = Vector512.Create(a3[at]);
                s30 = Vector512.FusedMultiplyAdd(r0, c3, s30);
                s31 = Vector512.FusedMultiplyAdd(r1, c3, s31);
                s32 = Vector512.FusedMultiplyAdd(r2, c3, s32);
                s33 = Vector512.FusedMultiplyAdd(r3, c3, s33);
            }

            StoreStrip(output + c, s00, s01, s02, s03);
            StoreStrip(o1 + c, s10, s11, s12, s13);
            StoreStrip(o2 + c, s20, s21, s22, s23);
            StoreStrip(o3 + c, s30, s31, s32, s33);
        }

        for (; c + Lanes <= k; c += Lanes)
        {
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int q = 0; q < inner; q++)
            {
                var r = Vector512.Load(rows + (q * k) + c);
                int at = q * coefficientStride;
                s0 = Vector512.FusedMultiplyAdd(r, Vector512.Create(a[at]), s0);
                s1 = Vector512.FusedMultiplyAdd(r, Vector512.Create(a1[at]), s1);
                s2 = Vector512.FusedMultiplyAdd(r, Vector512.Create(a2[at]), s2);
                s3 = Vector512.FusedMultiplyAdd(r, Vector512.Create(a3[at]), s3);
            }

            s0.Store(output + c);
            s1.Store(o1 + c);
            s2.Store(o2 + c);
            s3.Store(o3 + c);
        }

        for (; c < k; c++)
        {
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            for (int q = 0; q < inner; q++)
            {
                float r = rows[(q * k) + c];
                int at = q * coefficientStride;
                s0 += a[at] * r;
                s1 += a1[at] * r;
                s2 += a2[at] * r;
                s3 += a3[at] * r;
            }

            output[c] = s0;
            o1[c] = s1;
            o2[c] = s2;
            o3[c] = s3;
        }
    }

    /// <summary>Stores a 64-float strip held in four registers (inlined: a call would pass them through memory).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreStrip(float* o, Vector512<float> s0, Vector512<float> s1, Vector512<float> s2, Vector512<float> s3)
    {
        s0.Store(o);
        s1.Store(o + Lanes);
        s2.Store(o + (2 * Lanes));
        s3.Store(o + (3 * Lanes));
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

        var biases = Vector128.Create(bias[0], bias[1], bias[2], bias[3]);
        var y0 = RowSums(a00, a01, a02, a03) + biases;                                         // all sixteen reduced first: none stays live across the stores
        var y1 = RowSums(a10, a11, a12, a13) + biases;
        var y2 = RowSums(a20, a21, a22, a23) + biases;
        var y3 = RowSums(a30, a31, a32, a33) + biases;
        StoreRow(y0, x, w, k, c, y);
        StoreRow(y1, x + k, w, k, c, y + yStride);
        StoreRow(y2, x + (2 * k), w, k, c, y + (2 * yStride));
        StoreRow(y3, x + (3 * k), w, k, c, y + (3 * yStride));
    }

    /// <summary>The four accumulators' lane sums, [Σa0, Σa1, Σa2, Σa3]: each folded to four lanes by adding its halves, then
    /// two rounds of pairwise horizontal adds over all four (one reduction for four dot products instead of four).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> RowSums(Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3)
    {
        var pairs01 = Sse3.HorizontalAdd(Quarter(a0), Quarter(a1));                             // [a0 01, a0 23, a1 01, a1 23]
        var pairs23 = Sse3.HorizontalAdd(Quarter(a2), Quarter(a3));
        return Sse3.HorizontalAdd(pairs01, pairs23);
    }

    /// <summary>The vector folded to four lanes: lane i holds the sum of lanes i, i + 4, i + 8 and i + 12.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Quarter(Vector512<float> v)
    {
        var half = v.GetLower() + v.GetUpper();
        return half.GetLower() + half.GetUpper();
    }

    /// <summary>Writes one output row's four values, after adding the products of the last k mod 16 columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(Vector128<float> sums, float* x, float* w, int k, int done, float* y)
    {
        if (done == k)
        {
            sums.Store(y);
            return;
        }

        for (int j = 0; j < 4; j++)
        {
            float s = sums[j];
            for (int t = done; t < k; t++)
            {
                s += x[t] * w[(j * k) + t];                                                        // the last k mod 16
            }

            y[j] = s;
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
