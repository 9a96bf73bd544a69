using static TorchSharp.torch;

namespace SentenceMtl.Tests.Encoding;

public class PoolingTests
{
    static PoolingTests() => TorchSharpNative.EnsureLoadable();

    // Two sentences, T = 3, H = 2. Row 0 has 2 real tokens, row 1 has 3.
    private static Tensor Tokens() => tensor(new float[]
    {
        1, -2,   3, 4,   100, 100,
        -1, 0,   2, -5,  0.5f, 7,
    }, new long[] { 2, 3, 2 });

    private static Tensor Mask() => tensor(new long[] { 1, 1, 0, 1, 1, 1 }, new long[] { 2, 3 });

    private static float[] Values(Tensor t) => t.data<float>().ToArray();

    [Fact]
    public void Cls_takes_the_first_token()
    {
        using var x = Tokens();
        using var pooled = Pooling.Pool(x, Mask(), PoolingStrategy.Cls);
        Assert.Equal(new float[] { 1, -2, -1, 0 }, Values(pooled));
    }

    [Fact]
    public void Mean_ignores_padding()
    {
        using var x = Tokens();
        using var pooled = Pooling.Pool(x, Mask(), PoolingStrategy.Mean);
        Assert.Equal(new float[] { 2, 1, 0.5f, 2 / 3f }, Values(pooled));
    }

    [Fact]
    public void Mean_sqrt_len_divides_the_sum_by_the_root_of_the_count()
    {
        using var x = Tokens();
        using var pooled = Pooling.Pool(x, Mask(), PoolingStrategy.MeanSqrtLen);
        var expected = new[] { 4 / MathF.Sqrt(2), 2 / MathF.Sqrt(2), 1.5f / MathF.Sqrt(3), 2 / MathF.Sqrt(3) };
        Assert.Equal(expected, Values(pooled), (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Fact]
    public void Max_ignores_padding_and_does_not_mutate_the_input()
    {
        using var x = Tokens();
        var before = Values(x);
        using var pooled = Pooling.Pool(x, Mask(), PoolingStrategy.Max);
        Assert.Equal(new float[] { 3, 4, 2, 7 }, Values(pooled));
        Assert.Equal(before, Values(x));
    }

    [Fact]
    public void An_all_padding_row_gives_zeros_for_mean_and_minus_1e9_for_max()
    {
        using var x = Tokens();
        using var mask = tensor(new long[] { 0, 0, 0, 1, 1, 1 }, new long[] { 2, 3 });
        using var mean = Pooling.Pool(x, mask, PoolingStrategy.Mean);
        using var max = Pooling.Pool(x, mask, PoolingStrategy.Max);
        Assert.Equal(new float[] { 0, 0 }, Values(mean).Take(2));
        Assert.Equal(new float[] { -1e9f, -1e9f }, Values(max).Take(2));
        Assert.DoesNotContain(Values(mean), float.IsNaN);
    }

    [Fact]
    public void Normalize_gives_unit_rows_and_keeps_zero_rows_zero()
    {
        using var x = tensor(new float[] { 3, 4, 0, 0 }, new long[] { 2, 2 });
        using var n = Pooling.Normalize(x);
        Assert.Equal(new float[] { 0.6f, 0.8f, 0, 0 }, Values(n));
    }

    [Fact]
    public void Mismatched_shapes_are_rejected()
    {
        using var x = Tokens();
        using var mask = ones(2, 4, dtype: int64);
        Assert.Throws<ArgumentException>(() => Pooling.Pool(x, mask, PoolingStrategy.Mean));
    }
}
