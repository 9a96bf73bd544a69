using System.Runtime.Intrinsics;
using SentenceMtl.Modeling.Kernels;

namespace SentenceMtl.Tests.Modeling.Kernels;

public class VectorMathTests
{
    private static float[] Exp(float[] input)
    {
        var output = new float[input.Length];
        for (int i = 0; i < input.Length; i += 16)
        {
            var chunk = new float[16];
            Array.Copy(input, i, chunk, 0, Math.Min(16, input.Length - i));
            var result = VectorMath.Exp(Vector512.Create(chunk));
            for (int l = 0; l < 16 && i + l < input.Length; l++)
            {
                output[i + l] = result[l];
            }
        }

        return output;
    }

    /// <summary>Every 2⁻¹⁰ from the smallest normal result to the largest finite one, plus 100,000 random inputs, within
    /// 2 ulp (2.4e-7 relative) of the double-precision exponential rounded to float.</summary>
    [Fact]
    public void Exp_is_within_two_ulp_over_the_whole_normal_range()
    {
        var random = new Random(7);
        var inputs = Enumerable.Range(0, (int)((88.72 + 87.33) * 1024)).Select(i => -87.33f + (i / 1024f))
            .Concat(Enumerable.Range(0, 100_000).Select(_ => (float)((random.NextDouble() * 176) - 87.3)))
            .Concat([0f, -0f, 1f, -1f, 1e-30f, -1e-30f, 88.72f, -87.33f])
            .ToArray();
        var actual = Exp(inputs);
        double worst = 0;
        for (int i = 0; i < inputs.Length; i++)
        {
            double expected = (float)Math.Exp(inputs[i]);
            double relative = Math.Abs(actual[i] - expected) / expected;
            Assert.True(relative <= 2.4e-7, $"exp({inputs[i]:R}) = {actual[i]:R}, expected {expected:R}");
            worst = Math.Max(worst, relative);
        }

        Assert.True(worst > 0, "compared against the reference, not itself");
        Assert.Equal(1f, actual[Array.IndexOf(inputs, 0f)]);
    }

    [Fact]
    public void Exp_limits_infinities_and_nan()
    {
        var actual = Exp([float.NegativeInfinity, -1e30f, -104f, -87.34f, 88.73f, 1e30f, float.PositiveInfinity, float.NaN, float.MinValue, 88.7228f]);
        Assert.Equal(0f, actual[0]);
        Assert.Equal(0f, actual[1]);
        Assert.Equal(0f, actual[2]);
        Assert.Equal(0f, actual[3]);                                                             // a denormal: flushed to 0
        Assert.Equal(float.PositiveInfinity, actual[4]);
        Assert.Equal(float.PositiveInfinity, actual[5]);
        Assert.Equal(float.PositiveInfinity, actual[6]);
        Assert.True(float.IsNaN(actual[7]));
        Assert.Equal(0f, actual[8]);
        Assert.True(float.IsFinite(actual[9]) && actual[9] > 3.39e38f, $"exp(88.7228) = {actual[9]:R}");
    }
}
