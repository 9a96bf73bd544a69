using SentenceMtl.Modeling.Kernels;
using static TorchSharp.torch;

namespace SentenceMtl.Tests.Modeling.Kernels;

[Collection(GlobalRngCollection.Name)]
public class RowLayerNormTests
{
    static RowLayerNormTests() => TorchSharpNative.EnsureLoadable();

    /// <summary>Widths of whole vectors and with a scalar tail; one row and many; offset and scaled inputs.</summary>
    [Theory]
    [InlineData(1, 384)]
    [InlineData(37, 384)]
    [InlineData(5, 40)]
    [InlineData(3, 7)]
    public unsafe void Matches_torch_layer_norm(int rows, int width)
    {
        manual_seed(rows * width);
        using var x = (randn(rows, width) * 3) + 5;
        using var gamma = randn(width);
        using var beta = randn(width);
        using var expected = nn.functional.layer_norm(x, [width], gamma, beta, 1e-12);
        using var actual = x.clone();
        RowLayerNorm.Apply(TensorMemory.Pointer(actual), rows, width, TensorMemory.Pointer(gamma), TensorMemory.Pointer(beta), 1e-12f);
        Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-5), $"max |diff| {(actual - expected).abs().max().item<float>()}");
    }

    [Fact]
    public unsafe void The_thread_split_does_not_change_a_single_bit()
    {
        manual_seed(9);
        using var x = randn(300, 384);
        using var gamma = randn(384);
        using var beta = randn(384);
        Tensor Run(int threads)
        {
            using var scope = InferenceThreads.Use(threads);
            var y = x.clone();
            RowLayerNorm.Apply(TensorMemory.Pointer(y), 300, 384, TensorMemory.Pointer(gamma), TensorMemory.Pointer(beta), 1e-12f);
            return y;
        }

        using var one = Run(1);
        using var two = Run(2);
        Assert.True(one.eq(two).all().item<bool>());
    }
}
