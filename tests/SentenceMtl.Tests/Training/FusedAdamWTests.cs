using SentenceMtl.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SentenceMtl.Tests.Training;

/// <summary>FusedAdamW (both paths) against TorchSharp's own AdamW and clip_grad_norm_, on identical copies of one model.</summary>
[Collection(GlobalRngCollection.Name)]
public sealed class FusedAdamWTests
{
    static FusedAdamWTests() => TorchSharpNative.EnsureLoadable();

    private static (Sequential A, Sequential B) Twins()
    {
        manual_seed(7);
        var a = nn.Sequential(nn.Linear(12, 8), nn.Tanh(), nn.Linear(8, 3));
        var b = nn.Sequential(nn.Linear(12, 8), nn.Tanh(), nn.Linear(8, 3));
        using (no_grad())
        {
            foreach (var (pa, pb) in a.parameters().Zip(b.parameters()))
            {
                pb.copy_(pa);
            }
        }

        return (a, b);
    }

    private static List<Parameter>[] Groups(Sequential m) =>
        [m.parameters().Where(p => p.dim() >= 2).ToList(), m.parameters().Where(p => p.dim() < 2).ToList()];

    private static void Backward(Sequential m, Tensor x, Tensor y)
    {
        using var loss = nn.functional.cross_entropy(m.forward(x), y);
        loss.backward();
    }

    [Theory]
    [InlineData(0.0, false)]   // no clipping
    [InlineData(0.05, false)]  // clipping active at every step
    [InlineData(0.0, true)]    // the tensor-operation path (GPU, non-contiguous parameters)
    [InlineData(0.05, true)]
    public void Steps_match_torchsharp_adamw_and_clip_grad_norm(double maxNorm, bool tensorOperations)
    {
        var (a, b) = Twins();
        var ga = Groups(a);
        var gb = Groups(b);
        using var reference = optim.AdamW([new AdamW.ParamGroup(ga[0], new AdamW.Options { LearningRate = 0.01, weight_decay = 0.1 }),
            new AdamW.ParamGroup(ga[1], new AdamW.Options { LearningRate = 0.02, weight_decay = 0.0 })]);
        using var fused = new FusedAdamW([(gb[0], 0.01, 0.1), (gb[1], 0.02, 0.0)]) { UseTensorOperations = tensorOperations };
        manual_seed(3);
        for (int step = 0; step < 6; step++)
        {
            using var x = randn(5, 12);
            using var y = randint(0, 3, 5);
            reference.zero_grad();
            Backward(a, x, y);
            if (maxNorm > 0)
            {
                nn.utils.clip_grad_norm_(a.parameters(), maxNorm);
            }

            reference.step();
            fused.ZeroGrad();
            Backward(b, x, y);
            fused.Step(maxNorm);
        }

        foreach (var (pa, pb) in a.parameters().Zip(b.parameters()))
        {
            Assert.True(pa.allclose(pb, rtol: 1e-5, atol: 1e-6), $"max diff {(pa - pb).abs().max().item<float>()}");
        }

        Assert.False(a.parameters().First().allclose(Twins().A.parameters().First(), rtol: 0, atol: 1e-3)); // the weights did move
        Assert.Equal(6, fused.Groups[0].StepCount(0));
    }

    [Fact]
    public void Parameters_without_gradients_are_skipped_until_they_have_one()
    {
        var (a, b) = Twins();
        using var reference = optim.AdamW(a.parameters(), lr: 0.01, weight_decay: 0.1);
        using var fused = new FusedAdamW([(b.parameters().ToList(), 0.01, 0.1)]);
        var lastA = (Linear)a.children().Last();
        var lastB = (Linear)b.children().Last();
        manual_seed(5);
        for (int step = 0; step < 5; step++)
        {
            using var x = randn(4, 12);
            using var y = randint(0, 3, 4);
            reference.zero_grad();
            fused.ZeroGrad();
            if (step < 2)
            {
                // Only the first layer gets gradients: the last layer has none yet and must not move.
                using (var la = ((Linear)a.children().First()).forward(x).sum()) { la.backward(); }
                using (var lb = ((Linear)b.children().First()).forward(x).sum()) { lb.backward(); }
            }
            else
            {
                Backward(a, x, y);
                Backward(b, x, y);
            }

            reference.step();
            fused.Step();
            if (step == 1)
            {
                Assert.Equal(0, fused.Groups[0].StepCount(b.parameters().ToList().IndexOf(lastB.weight!)));
            }
        }

        Assert.True(lastA.weight!.allclose(lastB.weight!, rtol: 1e-5, atol: 1e-6));
        foreach (var (pa, pb) in a.parameters().Zip(b.parameters()))
        {
            Assert.True(pa.allclose(pb, rtol: 1e-5, atol: 1e-6), $"max diff {(pa - pb).abs().max().item<float>()}");
        }
    }

    /// <summary>Gradients so small that the moments become subnormal (stored as 0 by the fused pass, kept by libtorch's
    /// AdamW) move the weights exactly as libtorch's AdamW does, to float rounding; 1,000 values cover the 16-float vectors
    /// and the scalar tail.</summary>
    [Fact]
    public void Subnormal_moments_do_not_change_the_update()
    {
        manual_seed(11);
        using var start = randn(1000);
        using var scales = tensor(new[] { 1e-2f, 1e-20f, 1e-39f, 0f, -3e-21f }).repeat(200);             // normal, tiny, subnormal, zero
        using var gradient = start.abs().add(0.5f).mul(scales);
        var reference = new Parameter(start.clone());
        var candidate = new Parameter(start.clone());
        using var torchAdamW = optim.AdamW([reference], lr: 0.01, weight_decay: 0.1);
        using var fused = new FusedAdamW([([candidate], 0.01, 0.1)]);
        for (int step = 0; step < 8; step++)
        {
            torchAdamW.zero_grad();
            fused.ZeroGrad();
            using (var loss = reference.mul(gradient).sum()) { loss.backward(); }               // ∂/∂p = gradient
            using (var loss = candidate.mul(gradient).sum()) { loss.backward(); }
            torchAdamW.step();
            fused.Step();
        }

        using var normal = arange(0, 1000, 5);                                                   // the 1e-2 gradients
        using var tiny = arange(0, 1000).remainder(5).ne(0).nonzero().squeeze(1);               // tiny, subnormal, zero
        Assert.True(reference.index_select(0, normal).allclose(candidate.index_select(0, normal), rtol: 1e-5, atol: 1e-6));
        Assert.True(reference.index_select(0, tiny).eq(candidate.index_select(0, tiny)).all().item<bool>(), "updates below float rounding leave identical weights");
        Assert.False(candidate.allclose(start, rtol: 0, atol: 1e-3));                           // the normal-gradient weights moved
        reference.Dispose();
        candidate.Dispose();
    }

    [Fact]
    public void A_parameter_in_two_groups_is_rejected()
    {
        var (_, b) = Twins();
        var all = b.parameters().ToList();
        var ex = Assert.Throws<ArgumentException>(() => new FusedAdamW([(all, 0.01, 0.0), (all.Take(1).ToList(), 0.01, 0.0)]));
        Assert.Contains("more than one group", ex.Message, StringComparison.Ordinal);
    }
}
