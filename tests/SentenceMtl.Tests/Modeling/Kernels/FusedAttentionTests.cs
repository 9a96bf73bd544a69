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

    /// <summary>Short and long rows, one to twelve heads of 16 to 64 dimensions, lengths off the 16-key vectors; padded
    /// batches have rows of every length from T down to 1.</summary>
    public static TheoryData<int, int, int, int, bool> Shapes => new()
    {
        { 1, 1, 1, 16, false }, { 2, 5, 4, 16, true }, { 32, 13, 12, 32, true }, { 3, 17, 2, 64, false }, { 2, 70, 12, 32, true },
    };

    [SkippableTheory]
    [MemberData(nameof(Shapes))]
    public void Matches_scaled_dot_product_attention_on_the_real_tokens(int batch, int length, int heads, int headSize, bool padded)
    {
        Skip.IfNot(FusedAttention.CanRun(zeros(1, 3 * 16), 1), "FusedAttention needs AVX-512, which this machine lacks.");

        manual_seed(batch + length);
        using var qkv = randn(batch, length, 3 * heads * headSize) * 2;
        int[] lengths = [.. Enumerable.Range(0, batch).Select(r => padded ? Math.Max(1, length - r) : length)];
        using var mask = padded ? PaddingMask(lengths, length) : null;
        using var expected = Reference(qkv, heads, mask);
        using var packed = cat(lengths.Select((n, r) => qkv[r].narrow(0, 0, n)).ToArray());   // (N, 3H) real tokens
        using var actual = FusedAttention.Forward(packed, heads, lengths);
        using var real = cat(lengths.Select((n, r) => expected[r].narrow(0, 0, n)).ToArray());  // (N, H)
        Assert.Equal(real.shape, actual.shape);
        Assert.True(actual.allclose(real, rtol: 1e-4, atol: 1e-5), $"max |diff| {(actual - real).abs().max().item<float>()}");
    }

    /// <summary>Head sizes off the 16-float vectors (8, 24) end in the scalar loop.</summary>
    [SkippableTheory]
    [InlineData(8)]
    [InlineData(24)]
    public void Handles_head_sizes_that_are_not_whole_vectors(int headSize)
    {
        Skip.IfNot(PrepackedLinear.IsSupported, "the inference kernels need AVX-512, which this machine lacks.");

        manual_seed(headSize);
        using var qkv = randn(1, 19, 3 * 2 * headSize);
        using var expected = Reference(qkv, 2, null);
        using var actual = FusedAttention.Forward(qkv[0], 2, [19]);
        Assert.True(actual.allclose(expected[0], rtol: 1e-4, atol: 1e-5), $"max |diff| {(actual - expected[0]).abs().max().item<float>()}");
    }

    /// <summary>Row r keeps its first lengths[r] keys, the rest get the most negative float, as BertModel builds it.</summary>
    private static Tensor PaddingMask(int[] lengths, int length)
    {
        var mask = zeros(lengths.Length, 1, 1, length);
        for (int r = 0; r < lengths.Length; r++)
        {
            if (lengths[r] < length)
            {
                mask[r, 0, 0, TensorIndex.Slice(lengths[r])] = float.MinValue;
            }
        }

        return mask;
    }

    [SkippableFact]
    public void The_thread_split_does_not_change_a_single_bit()
    {
        Skip.IfNot(PrepackedLinear.IsSupported, "the inference kernels need AVX-512, which this machine lacks.");

        manual_seed(4);
        int[] lengths = [20, 3, 17, 1, 0, 20, 9, 11];
        using var qkv = randn(lengths.Sum(), 3 * 128);
        Tensor Run(int threads)
        {
            using var scope = InferenceThreads.Use(threads);
            return FusedAttention.Forward(qkv, 4, lengths);
        }

        using var one = Run(1);
        using var two = Run(2);
        Assert.True(one.eq(two).all().item<bool>());
    }

    [Fact]
    public void Unsuitable_operands_are_refused_with_the_reason()
    {
        Assert.False(FusedAttention.CanRun(zeros(2, 3, 96), 2));                                 // not (N, 3H)
        Assert.False(FusedAttention.CanRun(zeros(6, 3 * 25), 2));                                // H not a multiple of the heads
        Assert.False(FusedAttention.CanRun(zeros(new long[] { 6, 96 }, dtype: ScalarType.Float64), 2));
        var shape = Assert.Throws<ArgumentException>(() => FusedAttention.Forward(zeros(6, 3 * 25), 2, [6]));
        Assert.Contains("multiple of the head count", shape.Message);
        if (PrepackedLinear.IsSupported)
        {
            var lengths = Assert.Throws<ArgumentException>(() => FusedAttention.Forward(zeros(6, 96), 2, [4, 1]));
            Assert.Equal("lengths", lengths.ParamName);
            Assert.Throws<ArgumentException>(() => FusedAttention.Forward(zeros(6, 96), 2, [7, -1]));
        }
    }
}
