using System.Runtime.Intrinsics;
using SentenceMtl.Inference.Vectors;

namespace SentenceMtl.PortableChecks;

/// <summary><see cref="SimdMath"/>'s exp and GELU at 128 bits against double precision (SimdMathTests' inputs and bounds).</summary>
internal static unsafe class SimdMathChecks
{
    private const double FloatMinNormal = 1.1754943508222875e-38;

    /// <summary>exp: relative error ≤ 2e-6 in the normal range, exactly 0 below it, +∞ above, NaN kept (SimdMathTests).</summary>
    public static void ExpMatches(CheckLog log)
    {
        var x = new List<float> { -100f, -87.4f, -87.3f, -20f, -1e-3f, 0f, 1e-3f, 20f, 88f, 88.7f, 89f, 1000f, float.MinValue, float.MaxValue };
        for (int i = -87_300; i <= 88_700; i += 7)
        {
            x.Add(i / 1000f);
        }

        x.AddRange(Seeded.Normal(1, 1000, 30));
        var y = Apply([.. x], exp: true);
        double worst = 0;
        int wrongEdges = 0;
        for (int i = 0; i < x.Count; i++)
        {
            double exact = Math.Exp(x[i]);
            if (exact < FloatMinNormal)
            {
                wrongEdges += y[i] == 0f ? 0 : 1;
            }
            else if (exact > float.MaxValue)
            {
                wrongEdges += float.IsPositiveInfinity(y[i]) ? 0 : 1;
            }
            else
            {
                double relative = Math.Abs(y[i] - exact) / exact;
                worst = double.IsNaN(relative) ? double.PositiveInfinity : Math.Max(worst, relative);
            }
        }

        bool nan = float.IsNaN(Apply([float.NaN, 1f, float.NaN, -1f], exp: true)[0]);
        bool one = y[x.IndexOf(0f)] == 1f;
        log.Check("simd-exp-128", worst <= 2e-6 && wrongEdges == 0 && nan && one,
            $"{x.Count} inputs, max relative error {CheckLog.G(worst)} (≤ 2e-6), {wrongEdges} wrong at the range's ends, exp(0) = 1: {one}, NaN kept: {nan}");
    }

    /// <summary>GELU: relative error ≤ 2e-6 wherever exact GELU is a normal float; GELU(100) = 100, GELU(−100) = 0, NaN kept.</summary>
    public static void GeluMatches(CheckLog log)
    {
        var x = new List<float> { -100f, -87.4f, -20f, -13f, -10f, -5f, -3f, -1e-3f, 0f, 1e-3f, 3f, 5f, 20f, 88f, 89f, 100f };
        for (int i = -14_000; i <= 14_000; i += 3)
        {
            x.Add(i / 1000f);
        }

        x.AddRange(Seeded.Normal(2, 1000, 3));
        var y = Apply([.. x], exp: false);
        double worst = 0, worstAt = 0;
        for (int i = 0; i < x.Count; i++)
        {
            double exact = DoubleMath.Gelu(x[i]);
            if (Math.Abs(exact) >= FloatMinNormal)
            {
                double relative = Math.Abs(y[i] - exact) / Math.Abs(exact);
                if (relative > worst || double.IsNaN(relative))
                {
                    (worst, worstAt) = (double.IsNaN(relative) ? double.PositiveInfinity : relative, x[i]);
                }
            }
        }

        bool ends = y[x.IndexOf(100f)] == 100f && y[x.IndexOf(-100f)] == 0f && y[x.IndexOf(0f)] == 0f;
        bool nan = float.IsNaN(Apply([float.NaN, 1f, float.NaN, -1f], exp: false)[0]);
        log.Check("simd-gelu-128", worst <= 2e-6 && ends && nan,
            $"{x.Count} inputs, max relative error {CheckLog.G(worst)} at x = {worstAt} (≤ 2e-6), GELU(±100), GELU(0) exact: {ends}, NaN kept: {nan}");
    }

    /// <summary>exp or GELU at 128 bits over <paramref name="x"/>, padded to whole vectors.</summary>
    private static float[] Apply(float[] x, bool exp)
    {
        var padded = new float[(x.Length + 3) / 4 * 4];
        x.CopyTo(padded, 0);
        fixed (float* p = padded)
        {
            for (int i = 0; i < padded.Length; i += 4)
            {
                var v = Simd128.Load(p + i);
                Simd128.Store(exp ? SimdMath.Exp<Simd128, Vector128<float>>(v) : SimdMath.Gelu<Simd128, Vector128<float>>(v), p + i);
            }
        }

        return padded[..x.Length];
    }
}
