using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SentenceMtl.Modeling.Kernels;

/// <summary>Elementwise functions on 16 floats at a time, for the kernels' epilogues.</summary>
internal static class VectorMath
{
    // Abramowitz & Stegun 7.1.26: erfc(z) ≈ t·(a1 + t·(a2 + t·(a3 + t·(a4 + t·a5))))·exp(−z²), t = 1 / (1 + p·z), z ≥ 0,
    // absolute error ≤ 1.5e-7.
    private const float P = 0.3275911f;
    private const float A1 = 0.254829592f;
    private const float A2 = -0.284496736f;
    private const float A3 = 1.421413741f;
    private const float A4 = -1.453152027f;
    private const float A5 = 1.061405429f;
    private const float InverseSqrt2 = 0.70710678f;
    private const float InverseSqrt2Pi = 0.39894228f;

    // exp: x = n·ln 2 + r with |r| ≤ ln 2 / 2 (ln 2 split in a short head and a tail, so n·head is exact), then
    // e^r ≈ 1 + r + r²·(E2 + r·(E3 + …)), the Cephes expf minimax polynomial (≈ 1 ulp), and 2ⁿ from the exponent bits.
    private const float Log2E = 1.44269504f;
    private const float Ln2Head = 0.693359375f;
    private const float Ln2Tail = -2.12194440e-4f;
    private const float E2 = 5.0000001201e-1f;
    private const float E3 = 1.6666665459e-1f;
    private const float E4 = 4.1665795894e-2f;
    private const float E5 = 8.3334519073e-3f;
    private const float E6 = 1.3981999507e-3f;
    private const float E7 = 1.9875691500e-4f;
    private const float ExpLowest = -87.3365448f;                                              // ln of the smallest normal float
    private const float ExpHighest = 88.7228394f;                                              // ln of the largest float

    /// <summary>
    /// Exact GELU, x·Φ(x) = ½·x·(1 + erf(x/√2)), as <c>torch.nn.functional.gelu</c> without approximation, to ≈ 1e-7·|x|.
    /// For negative x it uses erfc directly, so the small results of large negative inputs keep their precision.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Gelu(Vector512<float> x)
    {
        var half = 0.5f * x * ErfcOfScaledAbs(x, out _);                                     // x·Φ(x) for x < 0
        return Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero), x - half, half);
    }

    /// <summary>
    /// Exact GELU as <see cref="Gelu(Vector512{float})"/>, and its derivative Φ(x) + x·φ(x) (φ the standard normal density)
    /// for back-propagation, from one erfc evaluation.
    /// </summary>
    public static Vector512<float> Gelu(Vector512<float> x, out Vector512<float> derivative)
    {
        var tail = 0.5f * ErfcOfScaledAbs(x, out var gaussian);                               // Φ(−|x|)
        var cdf = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero), Vector512<float>.One - tail, tail);
        derivative = Vector512.FusedMultiplyAdd(x * gaussian, Vector512.Create(InverseSqrt2Pi), cdf);
        var half = x * tail;                                                                    // as Gelu(x) computes it
        return Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero), x - half, half);
    }

    /// <summary>
    /// eˣ to about 1 ulp for results in the normal range, computed in single precision: 0 below it (where the true value is a
    /// denormal under 1.2e-38), +∞ above it, NaN for NaN. <see cref="Vector512.Exp(Vector512{float})"/> widens to double
    /// precision and costs several times as much; the softmax of every attention row and every GELU call this.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var clamped = Vector512.Min(Vector512.Max(x, Vector512.Create(ExpLowest)), Vector512.Create(ExpHighest));
        var n = Vector512.Round(clamped * Log2E);
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Head), clamped);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Tail), r);
        var p = Vector512.FusedMultiplyAdd(r, Vector512.Create(E7), Vector512.Create(E6));
        p = Vector512.FusedMultiplyAdd(r, p, Vector512.Create(E5));
        p = Vector512.FusedMultiplyAdd(r, p, Vector512.Create(E4));
        p = Vector512.FusedMultiplyAdd(r, p, Vector512.Create(E3));
        p = Vector512.FusedMultiplyAdd(r, p, Vector512.Create(E2));
        var er = Vector512.FusedMultiplyAdd(r * r, p, r + Vector512<float>.One);                 // e^r
        var exponent = Vector512.ConvertToInt32(n);                                             // n ∈ [−126, 128]
        var half = Vector512.ShiftRightArithmetic(exponent, 1);                                 // 2ⁿ = 2^half · 2^(n − half), both normal
        var y = er * ((half + Vector512.Create(127)) << 23).AsSingle() * ((exponent - half + Vector512.Create(127)) << 23).AsSingle();
        y = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(ExpLowest)), Vector512<float>.Zero, y);
        y = Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512.Create(ExpHighest)), Vector512.Create(float.PositiveInfinity), y);
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), y, x);                       // NaN stays NaN
    }

    /// <summary>erfc(|x|/√2), and <paramref name="gaussian"/> = exp(−x²/2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ErfcOfScaledAbs(Vector512<float> x, out Vector512<float> gaussian)
    {
        var z = Vector512.Abs(x) * InverseSqrt2;
        var t = Vector512<float>.One / Vector512.FusedMultiplyAdd(z, Vector512.Create(P), Vector512<float>.One);
        var poly = Vector512.FusedMultiplyAdd(t, Vector512.Create(A5), Vector512.Create(A4));
        poly = Vector512.FusedMultiplyAdd(t, poly, Vector512.Create(A3));
        poly = Vector512.FusedMultiplyAdd(t, poly, Vector512.Create(A2));
        poly = Vector512.FusedMultiplyAdd(t, poly, Vector512.Create(A1));
        gaussian = Exp(-(z * z));
        return t * poly * gaussian;
    }
}
