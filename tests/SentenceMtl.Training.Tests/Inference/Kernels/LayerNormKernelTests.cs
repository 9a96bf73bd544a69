using System.Runtime.Intrinsics;
using SentenceMtl.Inference;
using SentenceMtl.Inference.Kernels;
using SentenceMtl.Inference.Vectors;
using static TorchSharp.torch;

namespace SentenceMtl.Tests.Inference.Kernels;

/// <summary>
/// <see cref="LayerNormKernel"/> at every vector width (forced by the type argument, so an AVX-512 machine also runs the
/// 256- and 128-bit code) against libtorch's <c>layer_norm</c> in float64 on the same float inputs.
/// </summary>
public sealed unsafe class LayerNormKernelTests
{
    public static TheoryData<int, int, int, double> Cases()
    {
        var data = new TheoryData<int, int, int, double>();
        foreach (int bits in KernelWidths.All)
        {
            foreach (int columns in new[] { 384, 37 })
            {
                foreach (int rows in new[] { 1, 100 })
                {
                    data.Add(bits, columns, rows, 1e-12);
                    data.Add(bits, columns, rows, 1e-5);
                }
            }
        }

        return data;
    }

    /// <summary>Rows of standard normal values: |ours − exact| ≤ 1e-5 (outputs are of order 1).</summary>
    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void Matches_torch_layer_norm(int bits, int columns, int rows, double eps)
    {
        var width = KernelWidths.Require(bits);
        var x = KernelWidths.Normal(rows * columns, (long)rows * columns);
        AssertMatches(width, x, rows, columns, eps, threads: 2);
    }

    /// <summary>
    /// Rows at 1e4 with noise of standard deviation 1: the variance (about 1) is 1e-8 of the mean square, so taking it as
    /// E[x²] − E[x]² in floats would lose every digit; the kernel's two passes keep the outputs within 1e-5.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void Keeps_its_precision_for_rows_far_from_zero(int bits, int columns, int rows, double eps)
    {
        var width = KernelWidths.Require(bits);
        var x = KernelWidths.Normal(rows + columns, (long)rows * columns).Select(v => 1e4f + v).ToArray();
        AssertMatches(width, x, rows, columns, eps, threads: 1);
    }

    private static void AssertMatches(VectorWidth width, float[] x, int rows, int columns, double eps, int threads)
    {
        var gamma = KernelWidths.Normal(columns, columns, 0.5).Select(v => 1 + v).ToArray();
        var beta = KernelWidths.Normal(columns + 1, columns, 0.5);
        var actual = Run(width, x, rows, columns, gamma, beta, (float)eps, threads);
        using var scope = NewDisposeScope();
        var reference = nn.functional.layer_norm(
            tensor(x.Select(v => (double)v).ToArray()).view(rows, columns),
            [columns],
            tensor(gamma.Select(v => (double)v).ToArray()),
            tensor(beta.Select(v => (double)v).ToArray()),
            eps);
        var expected = reference.contiguous().data<double>().ToArray();
        double worst = expected.Zip(actual, (e, a) => Math.Abs(a - e)).Max();
        Assert.True(worst <= 1e-5, $"max |ours − torch| = {worst:g3} at {width}, {rows} × {columns}, eps {eps}");
    }

    private static float[] Run(VectorWidth width, float[] x, int rows, int columns, float[] gamma, float[] beta, float eps, int threads)
    {
        using var pool = new IntraOpThreadPool(threads);
        var buffer = KernelWidths.Aligned(x);
        var g = KernelWidths.Aligned(gamma);
        var b = KernelWidths.Aligned(beta);
        switch (width)
        {
            case VectorWidth.Bits512:
                LayerNormKernel.Apply<Simd512, Vector512<float>>(buffer.Pointer, rows, columns, g.Pointer, b.Pointer, eps, pool);
                break;
            case VectorWidth.Bits256:
                LayerNormKernel.Apply<Simd256, Vector256<float>>(buffer.Pointer, rows, columns, g.Pointer, b.Pointer, eps, pool);
                break;
            default:
                LayerNormKernel.Apply<Simd128, Vector128<float>>(buffer.Pointer, rows, columns, g.Pointer, b.Pointer, eps, pool);
                break;
        }

        return buffer.Span.ToArray();
    }
}
