using System.Runtime.Intrinsics;
using SentenceMtl.Inference.Vectors;
using static TorchSharp.torch;

namespace SentenceMtl.Tests.Inference.Kernels;

/// <summary>
/// <see cref="SimdMath.Exp{TS, TV}"/> and <see cref="SimdMath.Gelu{TS, TV}"/> at every vector width (forced by the type
/// argument, so an AVX-512 machine also runs the 256- and 128-bit code) against double-precision references.
/// </summary>
public sealed unsafe class SimdMathTests
{
    private const double FloatMinNormal = 1.1754943508222875e-38;

    /// <summary>The points the brief names (both ends of the normal range, both sides of 0) and a dense grid across the range.</summary>
    private static float[] ExpInputs()
    {
        var values = new List<float> { -100f, -87.4f, -87.3f, -20f, -1e-3f, 0f, 1e-3f, 20f, 88f, 88.7f, 89f, 1000f, float.MinValue, float.MaxValue };
        for (int i = -87_300; i <= 88_700; i += 7)
        {
            values.Add(i / 1000f);
        }

        values.AddRange(KernelWidths.Normal(1, 1000, 30));
        return [.. values];
    }

    [SkippableTheory]
    [MemberData(nameof(KernelWidths.All), MemberType = typeof(KernelWidths))]
    public void Exp_is_within_2e6_relative_of_double_precision_zero_below_the_normal_range_and_infinite_above(int bits)
    {
        var width = KernelWidths.Require(bits);
        var x = ExpInputs();
        var y = Apply(width, x, Function.Exp);
        double worst = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double exact = Math.Exp(x[i]);
            if (exact < FloatMinNormal)
            {
                Assert.True(y[i] == 0f, $"exp({x[i]:R}) = {y[i]:R}, expected exactly 0 (the true value {exact:g3} is below the normal range)");
            }
            else if (exact > float.MaxValue)
            {
                Assert.True(float.IsPositiveInfinity(y[i]), $"exp({x[i]:R}) = {y[i]:R}, expected +∞");
            }
            else
            {
                worst = Math.Max(worst, Math.Abs(y[i] - exact) / exact);
            }
        }

        Assert.True(worst <= 2e-6, $"max relative error of exp at {width} = {worst:g3}");
        Assert.Equal(0f, y[Array.IndexOf(x, -87.4f)]);
        Assert.True(float.IsPositiveInfinity(y[Array.IndexOf(x, 89f)]));
        Assert.Equal(1f, y[Array.IndexOf(x, 0f)]);
        Assert.True(float.IsNaN(Apply(width, [float.NaN, 1f, float.NaN, -1f], Function.Exp)[0]), "exp(NaN) must stay NaN");
    }

    /// <summary>The inputs GELU meets in BERT's intermediate layer and well past them, plus the points the brief names.</summary>
    private static float[] GeluInputs()
    {
        var values = new List<float> { -100f, -87.4f, -20f, -13f, -10f, -5f, -3f, -1e-3f, 0f, 1e-3f, 3f, 5f, 20f, 88f, 89f, 100f };
        for (int i = -14_000; i <= 14_000; i += 3)
        {
            values.Add(i / 1000f);
        }

        values.AddRange(KernelWidths.Normal(2, 1000, 3));
        return [.. values];
    }

    /// <summary>Relative error ≤ 2e-6 wherever exact GELU (from erfc in float64, not from 1 + erf, which cancels to 0 in
    /// doubles below x ≈ −8) is a normal float; its results for x down to −13 are below 1e-37.</summary>
    [SkippableTheory]
    [MemberData(nameof(KernelWidths.All), MemberType = typeof(KernelWidths))]
    public void Gelu_matches_exact_gelu_in_double_precision(int bits)
    {
        var width = KernelWidths.Require(bits);
        var x = GeluInputs();
        var y = Apply(width, x, Function.Gelu);
        using var scope = NewDisposeScope();
        var input = tensor(x.Select(v => (double)v).ToArray());
        var exact = (0.5 * input * special.erfc(-input / Math.Sqrt(2))).data<double>().ToArray();     // erfc: no 1 + erf(−large) cancelling
        double worstRelative = 0, worstRelativeAt = 0, worstScaled = 0;
        for (int i = 0; i < x.Length; i++)
        {
            if (Math.Abs(exact[i]) >= FloatMinNormal)
            {
                double relative = Math.Abs(y[i] - exact[i]) / Math.Abs(exact[i]);
                if (relative > worstRelative)
                {
                    (worstRelative, worstRelativeAt) = (relative, x[i]);
                }
            }

            worstScaled = Math.Max(worstScaled, Math.Abs(y[i] - exact[i]) / Math.Max(1, Math.Abs(x[i])));
        }

        Assert.True(worstRelative <= 2e-6, $"max relative error of GELU at {width} = {worstRelative:g3} (x = {worstRelativeAt:R}); max |error| / max(1, |x|) = {worstScaled:g3}");
        Assert.Equal(100f, y[Array.IndexOf(x, 100f)]);                                          // Φ(100) = 1 in floats
        Assert.Equal(0f, y[Array.IndexOf(x, -100f)]);                                           // Φ(−100) underflows
        Assert.Equal(0f, y[Array.IndexOf(x, 0f)]);
        Assert.True(float.IsNaN(Apply(width, [float.NaN, 1f, float.NaN, -1f], Function.Gelu)[0]), "GELU(NaN) must stay NaN");
    }

    public enum Function
    {
        Exp,
        Gelu,
    }

    /// <summary>The function at <paramref name="width"/> over <paramref name="x"/>, padded to whole vectors with zeros.</summary>
    internal static float[] Apply(VectorWidth width, float[] x, Function function) => width switch
    {
        VectorWidth.Bits512 => Apply<Simd512, Vector512<float>>(x, function),
        VectorWidth.Bits256 => Apply<Simd256, Vector256<float>>(x, function),
        _ => Apply<Simd128, Vector128<float>>(x, function),
    };

    private static float[] Apply<TS, TV>(float[] x, Function function)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        var padded = new float[(x.Length + TS.Count - 1) / TS.Count * TS.Count];
        x.CopyTo(padded, 0);
        fixed (float* p = padded)
        {
            for (int i = 0; i < padded.Length; i += TS.Count)
            {
                var v = TS.Load(p + i);
                TS.Store(function == Function.Exp ? SimdMath.Exp<TS, TV>(v) : SimdMath.Gelu<TS, TV>(v), p + i);
            }
        }

        return padded[..x.Length];
    }
}
