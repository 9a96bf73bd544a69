using System.Runtime.CompilerServices;

namespace SentenceMtl.Inference.Vectors;

/// <summary>Elementwise functions for the kernels' epilogues, written once over the vector width.</summary>
/// <remarks>Lane-wise operations only, so a value is computed the same way at every width.</remarks>
internal static class SimdMath
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
    /// eˣ to about 1 ulp for results in the normal range, in single precision: 0 below it (where the true value is a
    /// denormal under 1.2e-38), +∞ above it, NaN for NaN. The vector types' own <c>Exp</c> widens to double precision and
    /// costs several times as much; every attention row's softmax and every GELU calls this.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Exp<TS, TV>(TV x)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        var clamped = TS.Min(TS.Max(x, TS.Broadcast(ExpLowest)), TS.Broadcast(ExpHighest));
        var n = TS.Round(TS.Multiply(clamped, TS.Broadcast(Log2E)));                            // n ∈ [−126, 128]
        var r = TS.MultiplyAdd(n, TS.Broadcast(-Ln2Head), clamped);
        r = TS.MultiplyAdd(n, TS.Broadcast(-Ln2Tail), r);
        var p = TS.MultiplyAdd(r, TS.Broadcast(E7), TS.Broadcast(E6));
        p = TS.MultiplyAdd(r, p, TS.Broadcast(E5));
        p = TS.MultiplyAdd(r, p, TS.Broadcast(E4));
        p = TS.MultiplyAdd(r, p, TS.Broadcast(E3));
        p = TS.MultiplyAdd(r, p, TS.Broadcast(E2));
        var er = TS.MultiplyAdd(TS.Multiply(r, r), p, TS.Add(r, TS.Broadcast(1f)));             // e^r
        var y = TS.ScaleByPowerOfTwo(er, n);
        y = TS.Select(TS.LessThan(x, TS.Broadcast(ExpLowest)), TS.Zero, y);
        y = TS.Select(TS.GreaterThan(x, TS.Broadcast(ExpHighest)), TS.Broadcast(float.PositiveInfinity), y);
        return TS.Select(TS.IsNumber(x), y, x);                                                 // NaN stays NaN
    }

    /// <summary>
    /// Exact GELU, x·Φ(x) = ½·x·(1 + erf(x/√2)), as <c>torch.nn.functional.gelu</c> without approximation, to ≈ 1e-7·|x|.
    /// For negative x it uses erfc directly, so the small results of large negative inputs keep their precision.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Gelu<TS, TV>(TV x)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        var z = TS.Multiply(TS.Abs(x), TS.Broadcast(InverseSqrt2));
        var t = TS.Divide(TS.Broadcast(1f), TS.MultiplyAdd(z, TS.Broadcast(P), TS.Broadcast(1f)));
        var poly = TS.MultiplyAdd(t, TS.Broadcast(A5), TS.Broadcast(A4));
        poly = TS.MultiplyAdd(t, poly, TS.Broadcast(A3));
        poly = TS.MultiplyAdd(t, poly, TS.Broadcast(A2));
        poly = TS.MultiplyAdd(t, poly, TS.Broadcast(A1));
        var erfc = TS.Multiply(TS.Multiply(t, poly), Exp<TS, TV>(TS.Subtract(TS.Zero, TS.Multiply(z, z))));   // erfc(|x|/√2)
        var half = TS.Multiply(TS.Multiply(TS.Broadcast(0.5f), x), erfc);                      // x·Φ(x) for x < 0
        return TS.Select(TS.GreaterThanOrEqual(x, TS.Zero), TS.Subtract(x, half), half);
    }
}
