using System.Runtime.Intrinsics;
using SentenceMtl.Inference;
using SentenceMtl.Inference.Kernels;
using SentenceMtl.Inference.Vectors;
using static TorchSharp.torch;

namespace SentenceMtl.Tests.Inference.Kernels;

/// <summary>
/// <see cref="PackedLinear"/> at every vector width (forced by the packed width, so an AVX-512 machine also runs the
/// 256- and 128-bit code) against libtorch's <c>linear</c> in double precision on the same float inputs.
/// </summary>
public sealed unsafe class PackedLinearTests
{
    /// <summary>Rows around every tile (1, the 6-row tile ± 1, the 8-row tile ± 1, the 12-row tile ± 1, many).</summary>
    internal static readonly int[] RowCounts = [1, 5, 6, 7, 8, 9, 12, 13, 31, 300];

    /// <summary>Outputs: a multiple of every panel (1152 = 3·384), a multiple of the 128-bit panel only (40), none (37).</summary>
    internal static readonly int[] OutputCounts = [40, 37, 1152];

    /// <summary>BERT's hidden size and an inner size off every vector.</summary>
    private static readonly int[] InputCounts = [384, 37];

    public static TheoryData<int, int> WidthsAndEpilogues()
    {
        var data = new TheoryData<int, int>();
        foreach (int bits in KernelWidths.All)
        {
            foreach (var epilogue in Enum.GetValues<LinearEpilogue>())
            {
                data.Add(bits, (int)epilogue);
            }
        }

        return data;
    }

    /// <summary>
    /// Every shape, with 1 and 2 pool threads: |ours − exact| ≤ 1e-5·(|exact| + rms), where exact is libtorch's
    /// <c>linear</c> (then <c>gelu</c>, or plus the prior y) in float64 and rms the root mean square of the exact output;
    /// the term in rms bounds the error of values that are small by cancellation.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(WidthsAndEpilogues))]
    public void Matches_torch_linear_for_every_shape_and_epilogue(int bits, int epilogueValue)
    {
        var width = KernelWidths.Require(bits);
        var epilogue = (LinearEpilogue)epilogueValue;
        double worst = 0;
        string worstCase = "";
        foreach (int k in InputCounts)
        {
            foreach (int n in OutputCounts)
            {
                var weight = KernelWidths.Normal(n + k, (long)n * k, 1 / Math.Sqrt(k));
                var bias = KernelWidths.Normal(n - k, n, 0.5);
                var packed = PackedLinear.Pack(weight, n, k, bias, width);
                foreach (int rows in RowCounts)
                {
                    var x = KernelWidths.Normal(rows, (long)rows * k, 2);
                    var prior = KernelWidths.Normal(rows + 1, (long)rows * n);
                    var exact = Reference(x, rows, k, weight, n, bias, epilogue, prior);
                    double rms = Math.Sqrt(exact.Average(v => v * v));
                    foreach (int threads in new[] { 1, 2 })
                    {
                        var y = Run(packed, x, rows, epilogue, prior, threads);
                        for (int i = 0; i < y.Length; i++)
                        {
                            double error = Math.Abs(y[i] - exact[i]) / (Math.Abs(exact[i]) + rms);
                            if (error > worst)
                            {
                                (worst, worstCase) = (error, $"rows {rows}, K {k}, N {n}, {threads} threads, output {i}: {y[i]:R} vs {exact[i]:R}");
                            }
                        }
                    }
                }
            }
        }

        Assert.True(worst <= 1e-5, $"{epilogue} at {width}: worst |ours − torch| / (|torch| + rms) = {worst:g3} ({worstCase})");
    }

    /// <summary>Each output is accumulated from the bias over k in order with one rounding per step at every width, and the
    /// epilogues are lane-wise: the widths agree bit for bit, for every epilogue and shape.</summary>
    [SkippableFact]
    public void Every_accelerated_width_computes_the_same_bits()
    {
        var widths = new[] { VectorWidth.Bits512, VectorWidth.Bits256, VectorWidth.Bits128 }.Where(VectorWidths.IsAccelerated).ToArray();
        Skip.If(widths.Length < 2, $"only {widths.Length} vector width is accelerated on this machine; nothing to compare.");
        int compared = 0;
        foreach (int k in InputCounts)
        {
            foreach (int n in OutputCounts)
            {
                var weight = KernelWidths.Normal(n * k, (long)n * k, 1 / Math.Sqrt(k));
                var bias = KernelWidths.Normal(n, n, 0.5);
                var packs = widths.Select(w => PackedLinear.Pack(weight, n, k, bias, w)).ToArray();
                foreach (int rows in RowCounts)
                {
                    var x = KernelWidths.Normal(rows * 3, (long)rows * k, 2);
                    var prior = KernelWidths.Normal(rows * 5, (long)rows * n);
                    foreach (var epilogue in Enum.GetValues<LinearEpilogue>())
                    {
                        var first = Run(packs[0], x, rows, epilogue, prior, threads: 2);
                        for (int w = 1; w < packs.Length; w++)
                        {
                            var other = Run(packs[w], x, rows, epilogue, prior, threads: 2);
                            int differing = first.Zip(other).Count(pair => BitConverter.SingleToInt32Bits(pair.First) != BitConverter.SingleToInt32Bits(pair.Second));
                            Assert.True(differing == 0, $"{widths[0]} and {widths[w]} differ in {differing} of {first.Length} values ({epilogue}, rows {rows}, K {k}, N {n})");
                            compared++;
                        }
                    }
                }
            }
        }

        Assert.Equal(InputCounts.Length * OutputCounts.Length * RowCounts.Length * 3 * (widths.Length - 1), compared);
    }

    [Theory]
    [MemberData(nameof(KernelWidths.All), MemberType = typeof(KernelWidths))]
    public void Pack_rejects_mismatched_sizes(int bits)
    {
        var width = (VectorWidth)bits;                                                            // packing needs no acceleration
        var weight = new float[6 * 4];
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => PackedLinear.Pack(weight, 6, 5, [], width)).ParamName);
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => PackedLinear.Pack(weight.AsSpan(1), 6, 4, [], width)).ParamName);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => PackedLinear.Pack(weight, 6, 4, new float[5], width)).ParamName);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => PackedLinear.Pack(weight, 6, 4, new float[7], width)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => PackedLinear.Pack([], 0, 4, [], width));
        Assert.Throws<ArgumentOutOfRangeException>(() => PackedLinear.Pack([], 6, 0, [], width));
        var packed = PackedLinear.Pack(weight, 6, 4, new float[6], width);
        Assert.Equal((6, 4, width), (packed.OutFeatures, packed.InFeatures, packed.Width));
    }

    [SkippableTheory]
    [MemberData(nameof(KernelWidths.All), MemberType = typeof(KernelWidths))]
    public void Multiply_at_another_width_than_packed_throws(int bits)
    {
        var width = KernelWidths.Require(bits);
        var packed = PackedLinear.Pack(new float[8 * 3], 8, 3, [], width);
        using var pool = new IntraOpThreadPool(1);
        var x = new float[3];
        var y = new float[8];
        fixed (float* px = x, py = y)
        {
            float* a = px, b = py;
            if (width != VectorWidth.Bits512)
            {
                Assert.Contains("packed for", Assert.Throws<InvalidOperationException>(() => packed.Multiply<Simd512, Vector512<float>>(a, 1, b, LinearEpilogue.None, pool)).Message);
            }

            if (width != VectorWidth.Bits256)
            {
                Assert.Contains("packed for", Assert.Throws<InvalidOperationException>(() => packed.Multiply<Simd256, Vector256<float>>(a, 1, b, LinearEpilogue.None, pool)).Message);
            }

            if (width != VectorWidth.Bits128)
            {
                Assert.Contains("packed for", Assert.Throws<InvalidOperationException>(() => packed.Multiply<Simd128, Vector128<float>>(a, 1, b, LinearEpilogue.None, pool)).Message);
            }
        }

        Assert.All(y, v => Assert.Equal(0f, v));                                                  // nothing was written
    }

    /// <summary>y = epilogue(x·Wᵀ + b) at the packed width on aligned buffers; for AddToOutput y starts as <paramref name="prior"/>.</summary>
    private static float[] Run(PackedLinear packed, float[] x, int rows, LinearEpilogue epilogue, float[] prior, int threads)
    {
        using var pool = new IntraOpThreadPool(threads);
        var input = KernelWidths.Aligned(x);
        var output = KernelWidths.Aligned(epilogue == LinearEpilogue.AddToOutput ? prior : new float[prior.Length]);
        packed.Multiply(input.Pointer, rows, output.Pointer, epilogue, pool);
        return output.Span.ToArray();
    }

    /// <summary>libtorch in float64 on the float inputs.</summary>
    private static double[] Reference(float[] x, int rows, int k, float[] weight, int n, float[] bias, LinearEpilogue epilogue, float[] prior)
    {
        using var scope = NewDisposeScope();
        var input = tensor(x.Select(v => (double)v).ToArray()).view(rows, k);
        var w = tensor(weight.Select(v => (double)v).ToArray()).view(n, k);
        var b = tensor(bias.Select(v => (double)v).ToArray());
        var y = nn.functional.linear(input, w, b);
        y = epilogue switch
        {
            LinearEpilogue.Gelu => nn.functional.gelu(y),
            LinearEpilogue.AddToOutput => y + tensor(prior.Select(v => (double)v).ToArray()).view(rows, n),
            _ => y,
        };
        return y.contiguous().data<double>().ToArray();
    }
}
