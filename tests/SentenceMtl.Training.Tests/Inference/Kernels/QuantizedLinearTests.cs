using System.Runtime.Intrinsics;
using SentenceMtl.Inference;
using SentenceMtl.Inference.Kernels;
using SentenceMtl.Inference.Vectors;
using static TorchSharp.torch;

namespace SentenceMtl.Tests.Inference.Kernels;

/// <summary>
/// <see cref="QuantizedLinear"/> (with <see cref="ActivationQuantizer"/> in front) at every width that runs the int8
/// kernels, forced by the packed width: the exact integer product and its float epilogue, bit for bit, against the
/// scalar reference of <see cref="Int8Reference"/>, and the widths against each other.
/// </summary>
public sealed unsafe class QuantizedLinearTests
{
    private static readonly int[] RowCounts = PackedLinearTests.RowCounts;

    private static readonly int[] OutputCounts = PackedLinearTests.OutputCounts;

    /// <summary>BERT's hidden size, an odd size off every vector (padded to a multiple of 4), and 2 (one padded quad).</summary>
    private static readonly int[] InputCounts = [384, 37, 2];

    public static TheoryData<int, int> WidthsAndEpilogues() => PackedLinearTests.WidthsAndEpilogues();

    /// <summary>
    /// Every shape, with 1 and 2 pool threads. Without GELU the outputs equal the reference bit for bit (the sums are
    /// exact integers and the epilogue is the same float operations); with GELU they are within GELU's own accuracy of
    /// GELU in double of the reference's pre-activation: |ours − exact| ≤ 1e-5·(|exact| + rms), as for <see cref="PackedLinear"/>.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(WidthsAndEpilogues))]
    public void Equals_the_exact_integer_product_for_every_shape_and_epilogue(int bits, int epilogueValue)
    {
        var width = Int8Reference.Require(bits);
        var epilogue = (LinearEpilogue)epilogueValue;
        int cases = 0;
        foreach (int k in InputCounts)
        {
            foreach (int n in OutputCounts)
            {
                var weight = KernelWidths.Normal(n + k, (long)n * k, 1 / Math.Sqrt(k));
                var bias = KernelWidths.Normal(n - k, n, 0.5);
                var packed = QuantizedLinear.Pack(weight, n, k, bias, width);
                foreach (int rows in RowCounts)
                {
                    var x = KernelWidths.Normal(rows, (long)rows * k, 2);
                    var prior = KernelWidths.Normal(rows + 1, (long)rows * n);
                    var expected = Int8Reference.Product(x, rows, k, weight, n, bias, epilogue == LinearEpilogue.AddToOutput, prior);
                    var activated = epilogue == LinearEpilogue.Gelu ? Gelu(expected) : null;
                    double rms = activated is null ? 0 : Math.Sqrt(activated.Average(v => v * v));
                    foreach (int threads in new[] { 1, 2 })
                    {
                        var y = Int8Reference.Run(packed, x, rows, epilogue, prior, threads);
                        for (int i = 0; i < y.Length; i++)
                        {
                            bool same = activated is not null
                                ? Math.Abs(y[i] - activated[i]) <= 1e-5 * (Math.Abs(activated[i]) + rms)
                                : BitConverter.SingleToInt32Bits(y[i]) == BitConverter.SingleToInt32Bits(expected[i]);
                            Assert.True(same, $"{epilogue} at {width}: rows {rows}, K {k}, N {n}, {threads} threads, output {i}: {y[i]:R} vs {activated?[i] ?? expected[i]:R} (pre-activation {expected[i]:R})");
                        }

                        cases++;
                    }
                }
            }
        }

        Assert.Equal(InputCounts.Length * OutputCounts.Length * RowCounts.Length * 2, cases);
    }

    /// <summary>The quantized products are close to the float product they stand for: relative error of a few per mille
    /// for normally distributed inputs, which is what int8 with per-row and per-column scales gives.</summary>
    [SkippableTheory]
    [MemberData(nameof(KernelWidths.All), MemberType = typeof(KernelWidths))]
    public void Stays_close_to_the_float_product(int bits)
    {
        var width = Int8Reference.Require(bits);
        const int rows = 64, k = 384, n = 1536;
        var weight = KernelWidths.Normal(3, (long)n * k, 1 / Math.Sqrt(k));
        var bias = new float[n];
        var x = KernelWidths.Normal(4, (long)rows * k);
        var y = Int8Reference.Run(QuantizedLinear.Pack(weight, n, k, bias, width), x, rows, LinearEpilogue.None, new float[rows * n], threads: 2);
        double error = 0, norm = 0;
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < n; j++)
            {
                double exact = 0;
                for (int i = 0; i < k; i++)
                {
                    exact += (double)x[(r * k) + i] * weight[(j * k) + i];
                }

                error += Math.Pow(y[(r * n) + j] - exact, 2);
                norm += exact * exact;
            }
        }

        double relative = Math.Sqrt(error / norm);
        Assert.True(relative < 0.02, $"relative RMS error of the int8 product at {width}: {relative:g3}");
    }

    /// <summary>The integer sums are exact and the epilogue lane-wise: the widths agree bit for bit.</summary>
    [SkippableFact]
    public void Every_width_computes_the_same_bits()
    {
        var widths = new[] { VectorWidth.Bits512, VectorWidth.Bits256, VectorWidth.Bits128 }.Where(VectorWidths.IsInt8Accelerated).ToArray();
        Skip.If(widths.Length < 2, $"only {widths.Length} width runs the int8 kernels on this machine; nothing to compare.");
        foreach (int k in InputCounts)
        {
            foreach (int n in OutputCounts)
            {
                var weight = KernelWidths.Normal(n * k, (long)n * k, 1 / Math.Sqrt(k));
                var bias = KernelWidths.Normal(n, n, 0.5);
                var packs = widths.Select(w => QuantizedLinear.Pack(weight, n, k, bias, w)).ToArray();
                foreach (int rows in new[] { 7, 13, 300 })
                {
                    var x = KernelWidths.Normal(rows * 3, (long)rows * k, 2);
                    var prior = KernelWidths.Normal(rows * 5, (long)rows * n);
                    foreach (var epilogue in Enum.GetValues<LinearEpilogue>())
                    {
                        var first = Int8Reference.Run(packs[0], x, rows, epilogue, prior, threads: 2);
                        for (int w = 1; w < packs.Length; w++)
                        {
                            var other = Int8Reference.Run(packs[w], x, rows, epilogue, prior, threads: 2);
                            int differing = first.Zip(other).Count(p => BitConverter.SingleToInt32Bits(p.First) != BitConverter.SingleToInt32Bits(p.Second));
                            Assert.True(differing == 0, $"{widths[0]} and {widths[w]} differ in {differing} of {first.Length} values ({epilogue}, rows {rows}, K {k}, N {n})");
                        }
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(KernelWidths.All), MemberType = typeof(KernelWidths))]
    public void Pack_rejects_mismatched_sizes_and_non_finite_weights(int bits)
    {
        var width = (VectorWidth)bits;                                                            // packing needs no acceleration
        var weight = new float[6 * 4];
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => QuantizedLinear.Pack(weight, 6, 5, [], width)).ParamName);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => QuantizedLinear.Pack(weight, 6, 4, new float[5], width)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => QuantizedLinear.Pack([], 0, 4, [], width));
        weight[(3 * 4) + 2] = float.NaN;
        var ex = Assert.Throws<ArgumentException>(() => QuantizedLinear.Pack(weight, 6, 4, [], width));
        Assert.Contains("Output 3's weights are not all finite", ex.Message, StringComparison.Ordinal);
        weight[(3 * 4) + 2] = 1;
        var packed = QuantizedLinear.Pack(weight, 6, 4, new float[6], width);
        Assert.Equal((6, 4, 4, width), (packed.OutFeatures, packed.InFeatures, packed.PaddedInFeatures, packed.Width));
        Assert.Equal(8, QuantizedLinear.Pack(new float[5 * 5], 5, 5, [], width).PaddedInFeatures);
    }

    /// <summary>The weight takes one byte per value (panels rounded up to whole panels), a quarter of <see cref="PackedLinear"/>'s.</summary>
    [Theory]
    [MemberData(nameof(KernelWidths.All), MemberType = typeof(KernelWidths))]
    public void Weights_take_a_quarter_of_float32(int bits)
    {
        var width = (VectorWidth)bits;
        var weight = KernelWidths.Normal(1, 1536L * 384);
        var bias = new float[1536];
        long floats = PackedLinear.Pack(weight, 1536, 384, bias, width).Bytes, int8 = QuantizedLinear.Pack(weight, 1536, 384, bias, width).Bytes;
        Assert.Equal((1536L * 384 * 4) + (1536 * 4), floats);
        Assert.Equal((1536L * 384) + (3 * 1536 * 4), int8);                                   // bytes; offsets, scales and biases
    }

    [SkippableTheory]
    [MemberData(nameof(KernelWidths.All), MemberType = typeof(KernelWidths))]
    public void Multiply_at_another_width_than_packed_throws(int bits)
    {
        var width = Int8Reference.Require(bits);
        var packed = QuantizedLinear.Pack(new float[8 * 4], 8, 4, [], width);
        using var pool = new IntraOpThreadPool(1);
        var x = new byte[4];
        var scales = new float[1];
        var y = new float[8];
        fixed (byte* px = x)
        fixed (float* ps = scales, py = y)
        {
            byte* a = px;
            float* s = ps, b = py;
            if (width != VectorWidth.Bits512)
            {
                Assert.Contains("packed for", Assert.Throws<InvalidOperationException>(() => packed.Multiply<Simd512, Vector512<float>>(a, s, 1, b, LinearEpilogue.None, pool)).Message);
            }

            if (width != VectorWidth.Bits128)
            {
                Assert.Contains("packed for", Assert.Throws<InvalidOperationException>(() => packed.Multiply<Simd128, Vector128<float>>(a, s, 1, b, LinearEpilogue.None, pool)).Message);
            }
        }

        Assert.All(y, v => Assert.Equal(0f, v));
    }

    /// <summary>GELU in double precision (libtorch's exact erf form).</summary>
    private static double[] Gelu(float[] x)
    {
        using var scope = NewDisposeScope();
        return nn.functional.gelu(tensor(x.Select(v => (double)v).ToArray())).data<double>().ToArray();
    }
}
