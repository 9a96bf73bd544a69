using System.Runtime.CompilerServices;

namespace SentenceMtl.Inference.Vectors;

/// <summary>Elementwise functions for the kernels' epilogues, written once over the vector width.</summary>
/// <remarks>Lane-wise operations only, so a value is computed the same way at every width.</remarks>
internal static class SimdMath
{
    // erfc(z) = t·q(t)·exp(−z²) with t = 1 / (1 + P·z), z ≥ 0 (the form of Abramowitz & Stegun 7.1.26). q is a degree-9
    // Chebyshev fit of erfc(z)·exp(z²)/t over t ∈ [0.24, 1] (z ≤ 9.7, past which exp(−z²) is 0 in floats), within 5e-8
    // of it relatively with these float coefficients: GELU's tiny results for large negative inputs need erfc's relative
    // error small, which a fit to its absolute error (A&S's degree-4 q, 1.5e-7) leaves at a few percent near z = 9.
    private const float P = 0.3275911f;
    private const float Q0 = 1.847628577e-1f;
    private const float Q1 = 1.860943597e-1f;
    private const float Q2 = 1.632423573e-1f;
    private const float Q3 = 2.167422391e-1f;
    private const float Q4 = -8.069775221e-2f;
    private const float Q5 = 5.564755402e-1f;
    private const float Q6 = -6.249442757e-1f;
    private const float Q7 = 6.751698895e-1f;
    private const float Q8 = -3.371654005e-1f;
    private const float Q9 = 6.032018534e-2f;
    private const float LargestErfcInput = 16f;                                                // |x| past which e^(−x²/2) is 0
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
    /// Exact GELU, x·Φ(x) = ½·x·(1 + erf(x/√2)), as <c>torch.nn.functional.gelu</c> without approximation, to a few ulp
    /// wherever the result is a normal float. It is computed as x − ½·x·erfc(|x|/√2) for x ≥ 0 and ½·x·erfc(|x|/√2) for
    /// x &lt; 0, so the small results of large negative inputs come from erfc directly, not from a difference near 1;
    /// the exponent x²/2 is taken exactly (hi + lo by a fused multiply-add), since a rounded x²/2 near 80 would already
    /// cost 1e-5 of relative precision.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Gelu<TS, TV>(TV x)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        var a = TS.Min(TS.Abs(x), TS.Broadcast(LargestErfcInput));                                  // keeps x² finite
        var t = TS.Divide(TS.Broadcast(1f), TS.MultiplyAdd(TS.Multiply(a, TS.Broadcast(InverseSqrt2)), TS.Broadcast(P), TS.Broadcast(1f)));
        var q = TS.MultiplyAdd(t, TS.Broadcast(Q9), TS.Broadcast(Q8));
        q = TS.MultiplyAdd(t, q, TS.Broadcast(Q7));
        q = TS.MultiplyAdd(t, q, TS.Broadcast(Q6));
        q = TS.MultiplyAdd(t, q, TS.Broadcast(Q5));
        q = TS.MultiplyAdd(t, q, TS.Broadcast(Q4));
        q = TS.MultiplyAdd(t, q, TS.Broadcast(Q3));
        q = TS.MultiplyAdd(t, q, TS.Broadcast(Q2));
        q = TS.MultiplyAdd(t, q, TS.Broadcast(Q1));
        q = TS.MultiplyAdd(t, q, TS.Broadcast(Q0));
        var high = TS.Multiply(a, a);
        var low = TS.MultiplyAdd(a, a, TS.Subtract(TS.Zero, high));                              // a² − high, exactly
        var factor = TS.Multiply(TS.Multiply(TS.Broadcast(0.5f), x), TS.Multiply(t, q));         // ½·x·t·q(t)
        factor = TS.MultiplyAdd(factor, TS.Multiply(low, TS.Broadcast(-0.5f)), factor);          // ·e^(−low/2) = ·(1 − low/2), |low| ≤ ulp(high)
        var half = TS.Multiply(factor, Exp<TS, TV>(TS.Multiply(high, TS.Broadcast(-0.5f))));     // ½·x·erfc(|x|/√2), the exponential last
        return TS.Select(TS.GreaterThanOrEqual(x, TS.Zero), TS.Subtract(x, half), half);         // NaN: half is NaN (it holds x)
    }
}
