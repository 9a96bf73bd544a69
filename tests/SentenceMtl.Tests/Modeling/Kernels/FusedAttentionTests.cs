using SentenceMtl.Modeling.Kernels;
using static TorchSharp.torch;

namespace SentenceMtl.Tests.Modeling.Kernels;

[Collection(GlobalRngCollection.Name)]
public class FusedAttentionTests
{
    static FusedAttentionTests() => TorchSharpNative.EnsureLoadable();

    /// <summary>libtorch's attention on the same fused projection: split heads, SDPA, merge heads.</summary>
    private static Tensor Reference(Tensor qkv, int heads, Tensor? mask)
    {
        long b = qkv.shape[0], t = qkv.shape[1], h = qkv.shape[2] / 3;
        using var split = qkv.view(b, t, 3, heads, h / heads).permute(2, 0, 3, 1, 4);          // (3, B, nh, T, hs)
        using var y = nn.functional.scaled_dot_product_attention(split[0], split[1], split[2], mask);
        return y.transpose(1, 2).reshape(b, t, h);
    }

    /// <summary>Short and long rows, one to twelve heads of 16 to 64 dimensions, lengths off the 16-key vectors.</summary>
    public static TheoryData<int, int, int, int, bool> Shapes => new()
    {
        { 1, 1, 1, 16, false }, { 2, 5, 4, 16, true }, { 32, 13, 12, 32, true }, { 3, 17, 2, 64, false }, { 2, 70, 12, 32, true },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Matches_scaled_dot_product_attention(int batch, int length, int heads, int headSize, bool padded)
    {
        if (!FusedAttention.CanRun(zeros(1, 1, 3 * 16), 1, null))
        {
            Assert.False(PrepackedLinear.IsSupported);                                         // same requirement: AVX-512
            return;
        }

        manual_seed(batch + length);
        using var qkv = randn(batch, length, 3 * heads * headSize) * 2;
        using var mask = padded ? PaddingMask(batch, length) : null;
        using var expected = Reference(qkv, heads, mask);
        using var actual = FusedAttention.Forward(qkv, heads, mask);
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(actual.allclose(expected, rtol: 1e-4, atol: 1e-5), $"max |diff| {(actual - expected).abs().max().item<float>()}");
    }

    /// <summary>Row r keeps its first length − r keys (at least one), the rest get the most negative float, as BertModel builds it.</summary>
    private static Tensor PaddingMask(int batch, int length)
    {
        var mask = zeros(batch, 1, 1, length);
        for (int r = 0; r < batch; r++)
        {
            int keep = Math.Max(1, length - r);
            if (keep < length)
            {
                mask[r, 0, 0, TensorIndex.Slice(keep)] = float.MinValue;
            }
        }

        return mask;
    }

    [Fact]
    public void The_thread_split_does_not_change_a_single_bit()
    {
        if (!PrepackedLinear.IsSupported)
        {
            return;
        }

        manual_seed(4);
        using var qkv = randn(8, 20, 3 * 128);
        using var mask = PaddingMask(8, 20);
        Tensor Run(int threads)
        {
            using var scope = InferenceThreads.Use(threads);
            return FusedAttention.Forward(qkv, 4, mask);
        }

        using var one = Run(1);
        using var two = Run(2);
        Assert.True(one.eq(two).all().item<bool>());
    }

    [Fact]
    public void Unsuitable_operands_are_refused_with_the_reason()
    {
        Assert.False(FusedAttention.CanRun(zeros(2, 3, 3 * 24), 2, null));                      // head size 12
        Assert.False(FusedAttention.CanRun(zeros(2, 3, 96), 2, zeros(2, 3)));                    // mask not (B, 1, 1, T)
        Assert.False(FusedAttention.CanRun(zeros(new long[] { 2, 3, 96 }, dtype: ScalarType.Float64), 2, null));
        var ex = Assert.Throws<ArgumentException>(() => FusedAttention.Forward(zeros(2, 3, 3 * 24), 2, null));
        Assert.Contains("multiple of 16", ex.Message);
    }
}
