using SentenceMtl.Modeling.Kernels;
using static TorchSharp.torch;

namespace SentenceMtl.Tests.Modeling.Kernels;

[Collection(GlobalRngCollection.Name)]
public class SmallMatrixProductsTests
{
    static SmallMatrixProductsTests() => TorchSharpNative.EnsureLoadable();

    /// <summary>Row counts around the 4-row blocks, widths around the 4-column blocks, inner sizes around 16 and 64.</summary>
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 16, 256, 384 }, { 16, 5, 256 }, { 3, 7, 15 }, { 5, 4, 17 }, { 4, 9, 64 }, { 17, 6, 100 }, { 12, 3, 80 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Linear_forward_matches_torch_linear(int m, int n, int k)
    {
        manual_seed((m * 1000) + (n * 10) + k);
        using var x = randn(m, k);
        using var w = randn(n, k);
        using var b = randn(n);
        using var expected = nn.functional.linear(x, w, b);
        var y = new float[m * n];
        SmallMatrixProducts.LinearForward(Values(x), Values(w), Values(b), y, m, n, k);
        AssertClose(expected, y);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Weight_gradient_is_dy_transposed_times_x(int m, int n, int k)
    {
        manual_seed((m * 1000) + (n * 10) + k + 1);
        using var dy = randn(m, n);
        using var x = randn(m, k);
        using var expected = dy.t().matmul(x);
        var g = Enumerable.Repeat(float.NaN, n * k).ToArray();                               // written, not accumulated
        SmallMatrixProducts.WeightGradient(Values(dy), Values(x), g, m, n, k);
        AssertClose(expected, g);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Input_gradient_is_dy_times_w(int m, int n, int k)
    {
        manual_seed((m * 1000) + (n * 10) + k + 2);
        using var dy = randn(m, n);
        using var w = randn(n, k);
        using var expected = dy.matmul(w);
        var dx = Enumerable.Repeat(float.NaN, m * k).ToArray();
        SmallMatrixProducts.InputGradient(Values(dy), Values(w), dx, m, n, k);
        AssertClose(expected, dx);
    }

    [Fact]
    public void A_span_too_short_for_its_shape_is_refused_by_name()
    {
        var ex = Assert.Throws<ArgumentException>(() => SmallMatrixProducts.LinearForward(new float[12], new float[12], new float[3], new float[11], 4, 3, 3));
        Assert.Equal("y", ex.ParamName);
    }

    [Fact]
    public void Gelu_derivative_matches_autograd_from_minus_12_to_12()
    {
        using var x = linspace(-12, 12, 4801).requires_grad_(true);
        using var y = nn.functional.gelu(x);
        using var sum = y.sum();
        sum.backward();
        var values = x.data<float>().ToArray();
        var expectedValue = y.data<float>().ToArray();
        var expectedSlope = x.grad!.data<float>().ToArray();
        for (int i = 0; i + 16 <= values.Length; i += 16)
        {
            var gelu = VectorMath.Gelu(System.Runtime.Intrinsics.Vector512.Create<float>(values.AsSpan(i)), out var slope);
            for (int j = 0; j < 16; j++)
            {
                Assert.True(Math.Abs(gelu[j] - expectedValue[i + j]) <= 1e-6 * Math.Max(1, Math.Abs(values[i + j])), $"gelu({values[i + j]})");
                Assert.True(Math.Abs(slope[j] - expectedSlope[i + j]) <= 2e-6, $"gelu'({values[i + j]}) = {slope[j]}, torch {expectedSlope[i + j]}");
            }
        }
    }

    private static float[] Values(Tensor t) => t.contiguous().data<float>().ToArray();

    private static void AssertClose(Tensor expected, float[] actual)
    {
        var e = expected.contiguous().data<float>().ToArray();
        Assert.Equal(e.Length, actual.Length);
        for (int i = 0; i < e.Length; i++)
        {
            Assert.True(Math.Abs(e[i] - actual[i]) <= 1e-4 * Math.Max(1, Math.Abs(e[i])), $"[{i}] {actual[i]} vs torch {e[i]}");
        }
    }
}
