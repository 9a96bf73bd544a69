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

    /// <summary>
    /// Exact GELU, x·Φ(x) = ½·x·(1 + erf(x/√2)), as <c>torch.nn.functional.gelu</c> without approximation, to ≈ 1e-7·|x|.
    /// For negative x it uses erfc directly, so the small results of large negative inputs keep their precision.
    /// </summary>
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
        gaussian = Vector512.Exp(-(z * z));
        return t * poly * gaussian;
    }
}
