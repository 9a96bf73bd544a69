using SentenceMtl.Modeling.Kernels;
using static TorchSharp.torch;

namespace SentenceMtl.Tests.Modeling.Kernels;

[Collection(GlobalRngCollection.Name)]
public class PrepackedLinearTests
{
    static PrepackedLinearTests() => TorchSharpNative.EnsureLoadable();

    /// <summary>Row counts around the 8-row tile and the 12-row tail tile (9, 12, 20 = 8 + 12), inner sizes from 1 to BERT's, 1 to 3 panels.</summary>
    public static TheoryData<int, int, int, bool> Shapes => new()
    {
        { 1, 1, 32, true }, { 7, 5, 32, false }, { 8, 384, 64, true }, { 9, 37, 96, true }, { 12, 384, 32, true },
        { 20, 384, 64, true }, { 33, 64, 64, false }, { 130, 128, 96, true },
    };

    [SkippableTheory]
    [MemberData(nameof(Shapes))]
    public void Matches_torch_linear(int rows, int inFeatures, int outFeatures, bool withBias)
    {
        SkipWithoutKernels();

        manual_seed(rows + inFeatures);
        using var x = randn(rows, inFeatures);
        using var w = randn(outFeatures, inFeatures);
        using var b = withBias ? randn(outFeatures) : null;
        using var packed = PrepackedLinear.Pack(w, b);
        using var expected = nn.functional.linear(x, w, b);
        using var actual = packed.Forward(x);
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-4), $"max |diff| {(actual - expected).abs().max().item<float>()}");
    }

    [SkippableFact]
    public void Takes_any_leading_shape_strided_inputs_and_views_with_an_offset()
    {
        SkipWithoutKernels();

        manual_seed(1);
        using var w = randn(64, 24);
        using var b = randn(64);
        using var packed = PrepackedLinear.Pack(w, b);
        using var batch = randn(3, 5, 24);                                                    // (B, T, K)
        using var transposed = randn(24, 11).t();                                              // not contiguous
        using var big = randn(20, 24);
        using var offset = big.narrow(0, 3, 9);                                                // contiguous rows, storage offset 72
        foreach (var x in new[] { batch, transposed, offset })
        {
            using var expected = nn.functional.linear(x, w, b);
            using var actual = packed.Forward(x);
            Assert.Equal(expected.shape, actual.shape);
            Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-4));
        }

        using var none = packed.Forward(zeros(0, 24));
        Assert.Equal(new long[] { 0, 64 }, none.shape);
    }

    [SkippableFact]
    public void The_thread_split_does_not_change_a_single_bit()
    {
        SkipWithoutKernels();

        manual_seed(2);
        using var x = randn(100, 384);
        using var w = randn(1536, 384);
        using var packed = PrepackedLinear.Pack(w, null);
        Tensor Run(int threads)
        {
            using var scope = InferenceThreads.Use(threads);
            return packed.Forward(x);
        }

        using var one = Run(1);
        using var two = Run(2);
        using var three = Run(3);
        Assert.True(one.eq(two).all().item<bool>());
        Assert.True(one.eq(three).all().item<bool>());
    }

    [SkippableFact]
    public void The_packed_copy_is_a_snapshot_of_the_weight()
    {
        SkipWithoutKernels();

        using var x = ones(2, 8);
        using var w = ones(32, 8);
        using var packed = PrepackedLinear.Pack(w, null);
        w.mul_(2);
        using var y = packed.Forward(x);
        Assert.Equal(8f, y[1, 31].item<float>());                                              // the weight as it was when packed
    }

    [SkippableFact]
    public void Bad_shapes_and_types_are_refused_with_the_reason()
    {
        Assert.False(PrepackedLinear.CanPack(zeros(33, 8)));                                   // not a multiple of 32 rows
        Assert.False(PrepackedLinear.CanPack(zeros(new long[] { 32, 8 }, dtype: ScalarType.Float64)));
        Assert.False(PrepackedLinear.CanPack(zeros(32)));
        var ex = Assert.Throws<ArgumentException>(() => PrepackedLinear.Pack(zeros(33, 8), null));
        Assert.Contains("multiple of 32", ex.Message);
        SkipWithoutKernels();

        Assert.Contains("length 32", Assert.Throws<ArgumentException>(() => PrepackedLinear.Pack(zeros(32, 8), zeros(31))).Message);
        using var packed = PrepackedLinear.Pack(zeros(32, 8), null);
        Assert.Contains("(…, 8)", Assert.Throws<ArgumentException>(() => packed.Forward(zeros(4, 9))).Message);
        Assert.Contains("Float64", Assert.Throws<ArgumentException>(() => packed.Forward(zeros(new long[] { 4, 8 }, dtype: ScalarType.Float64))).Message);
    }

    /// <summary>
    /// Without AVX-512 nothing can be packed (the model then keeps libtorch's linear): that much is checked, and the test
    /// reports itself skipped.
    /// </summary>
    private static void SkipWithoutKernels()
    {
        Assert.True(PrepackedLinear.IsSupported || !PrepackedLinear.CanPack(zeros(32, 8)), "packing must be refused without AVX-512");
        Skip.IfNot(PrepackedLinear.IsSupported, "the inference kernels need AVX-512, which this machine lacks.");
    }

    [SkippableFact]
    public void Epilogues_add_to_the_output_or_apply_exact_gelu()
    {
        SkipWithoutKernels();

        manual_seed(5);
        using var x = randn(13, 40);
        using var w = randn(64, 40) * 0.5;
        using var b = randn(64);
        using var packed = PrepackedLinear.Pack(w, b);
        using var linear = nn.functional.linear(x, w, b);

        using var residual = randn(13, 64);
        using var sum = residual.clone();
        packed.Multiply(x, sum, LinearEpilogue.AddToOutput);
        using var expectedSum = linear + residual;
        Assert.True(sum.allclose(expectedSum, rtol: 1e-5, atol: 1e-4));

        using var gelu = empty(13, 64);
        packed.Multiply(x, gelu, LinearEpilogue.Gelu);
        using var expectedGelu = nn.functional.gelu(linear);
        Assert.True(gelu.allclose(expectedGelu, rtol: 1e-5, atol: 1e-4), $"max |diff| {(gelu - expectedGelu).abs().max().item<float>()}");

        var wrong = Assert.Throws<ArgumentException>(() => packed.Multiply(x, empty(12, 64), LinearEpilogue.None));
        Assert.Equal("y", wrong.ParamName);
    }

    [SkippableFact]
    public void Gelu_matches_torch_from_large_negative_to_large_positive_inputs()
    {
        SkipWithoutKernels();

        using var x = linspace(-12, 12, 4801);                                                // step 0.005, 4,801 values
        using var expected = nn.functional.gelu(x);
        var input = x.data<float>().ToArray();
        var actual = new float[input.Length];
        for (int i = 0; i + 16 <= input.Length; i += 16)
        {
            System.Runtime.Intrinsics.Vector512.CopyTo(VectorMath.Gelu(System.Runtime.Intrinsics.Vector512.Create(input.AsSpan(i, 16))), actual.AsSpan(i, 16));
        }

        var reference = expected.data<float>().ToArray();
        for (int i = 0; i + 16 <= input.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - reference[i]) <= 1e-6 + (1e-6 * Math.Abs(reference[i])), $"gelu({input[i]}) = {actual[i]}, torch {reference[i]}");
        }
    }

    [Fact]
    public void Inference_threads_scope_restores_the_thread_counts()
    {
        int before = get_num_threads();
        using (InferenceThreads.Use(3))
        {
            Assert.Equal(1, get_num_threads());
            Assert.Equal(3, InferenceThreads.KernelThreads);
            using (InferenceThreads.Use(1))
            {
                Assert.Equal(1, InferenceThreads.KernelThreads);
            }

            Assert.Equal(3, InferenceThreads.KernelThreads);
        }

        Assert.Equal(before, get_num_threads());
        Assert.Equal(before, InferenceThreads.KernelThreads);
        using (InferenceThreads.Use(1, torchThreadsAfter: before + 1))                         // a pool thread working for a caller
        {
            Assert.Equal(1, get_num_threads());
        }

        Assert.Equal(before + 1, get_num_threads());
        set_num_threads(before);
        Assert.Throws<ArgumentOutOfRangeException>(() => InferenceThreads.Use(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => InferenceThreads.Use(1, 0));
    }
}
