using System.Runtime.Intrinsics;
using SentenceMtl.Inference;
using SentenceMtl.Inference.Kernels;
using SentenceMtl.Inference.Vectors;
using static TorchSharp.torch;

namespace SentenceMtl.Tests.Inference.Kernels;

/// <summary>
/// <see cref="AttentionKernel"/> at every vector width (forced by the type argument, so an AVX-512 machine also runs
/// the 256- and 128-bit code) against libtorch's <c>scaled_dot_product_attention</c> in float64, one sequence at a time.
/// </summary>
public sealed unsafe class AttentionKernelTests
{
    private static readonly int[][] LengthSets = [[1], [3, 17, 1, 40]];

    /// <summary>MiniLM's heads (12 × 32), a head size off every vector (2 × 12), a tiny one (1 × 5).</summary>
    public static TheoryData<int, int, int> WidthsAndHeads()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int bits in KernelWidths.All)
        {
            data.Add(bits, 12, 32);
            data.Add(bits, 2, 12);
            data.Add(bits, 1, 5);
        }

        return data;
    }

    /// <summary>|ours − exact| ≤ 1e-5 for queries, keys and values of standard deviation 2 (peaked softmax rows).</summary>
    [SkippableTheory]
    [MemberData(nameof(WidthsAndHeads))]
    public void Matches_scaled_dot_product_attention_per_sequence(int bits, int heads, int headSize)
    {
        var width = KernelWidths.Require(bits);
        foreach (var lengths in LengthSets)
        {
            int n = lengths.Sum(), h = heads * headSize;
            var qkv = KernelWidths.Normal(n * h, (long)n * 3 * h, 2);
            var expected = Reference(qkv, lengths, heads, headSize);
            var actual = Run(width, qkv, lengths, heads, headSize, threads: 1);
            double worst = expected.Zip(actual, (e, a) => Math.Abs(a - e)).Max();
            Assert.True(worst <= 1e-5, $"max |ours − torch| = {worst:g3} at {width}, lengths [{string.Join(", ", lengths)}], {heads} × {headSize}");
        }
    }

    /// <summary>Each (sequence, head) is computed by one thread whatever the split: 1 and 2 threads agree bit for bit.</summary>
    [SkippableTheory]
    [MemberData(nameof(WidthsAndHeads))]
    public void One_and_two_threads_give_identical_results(int bits, int heads, int headSize)
    {
        var width = KernelWidths.Require(bits);
        int[] lengths = [3, 17, 1, 40, 64, 9];
        int n = lengths.Sum(), h = heads * headSize;
        var qkv = KernelWidths.Normal(n + h, (long)n * 3 * h, 2);
        var one = Run(width, qkv, lengths, heads, headSize, threads: 1);
        var two = Run(width, qkv, lengths, heads, headSize, threads: 2);
        Assert.Equal(one, two);
    }

    private static float[] Run(VectorWidth width, float[] qkv, int[] lengths, int heads, int headSize, int threads)
    {
        using var pool = new IntraOpThreadPool(threads);
        var input = KernelWidths.Aligned(qkv);
        var output = new AlignedBuffer((long)lengths.Sum() * heads * headSize);
        switch (width)
        {
            case VectorWidth.Bits512:
                AttentionKernel.Run<Simd512, Vector512<float>>(input.Pointer, output.Pointer, lengths, heads, headSize, pool);
                break;
            case VectorWidth.Bits256:
                AttentionKernel.Run<Simd256, Vector256<float>>(input.Pointer, output.Pointer, lengths, heads, headSize, pool);
                break;
            default:
                AttentionKernel.Run<Simd128, Vector128<float>>(input.Pointer, output.Pointer, lengths, heads, headSize, pool);
                break;
        }

        Assert.Equal(qkv, input.Span.ToArray());                                                  // the input is only read
        return output.Span.ToArray();
    }

    /// <summary>Per sequence: split the (L, 3H) rows into q, k, v heads, attend without a mask, merge the heads (float64).</summary>
    private static double[] Reference(float[] qkv, int[] lengths, int heads, int headSize)
    {
        using var scope = NewDisposeScope();
        int h = heads * headSize;
        var all = tensor(qkv.Select(v => (double)v).ToArray()).view(-1, 3 * h);
        var outputs = new List<Tensor>();
        long row = 0;
        foreach (int length in lengths)
        {
            var split = all.narrow(0, row, length).view(length, 3, heads, headSize).permute(1, 2, 0, 3);   // (3, nh, L, hs)
            var y = nn.functional.scaled_dot_product_attention(split[0], split[1], split[2]);          // (nh, L, hs)
            outputs.Add(y.transpose(0, 1).reshape(length, h));
            row += length;
        }

        return cat(outputs, 0).contiguous().data<double>().ToArray();
    }
}
