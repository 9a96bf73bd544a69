using SentenceMtl.Modeling.Bert;
using TorchSharp;
using static TorchSharp.torch;

namespace SentenceMtl.Tests.Modeling.Bert;

[Collection(GlobalRngCollection.Name)]
public class BertModelTests
{
    static BertModelTests() => TorchSharpNative.EnsureLoadable();

    internal static BertConfig Tiny => new()
    {
        VocabSize = 50, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 64,
        MaxPositionEmbeddings = 40,
    };

    [Fact]
    public void State_dict_keys_and_shapes_are_exactly_those_of_bert_base_uncased()
    {
        // The key list of transformers.BertModel.from_pretrained("bert-base-uncased").state_dict(), in order.
        var expected = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Modeling", "Bert", "bert-base-uncased.keys.txt"));
        using var model = new BertModel(new BertConfig());
        var state = model.state_dict();

        Assert.Equal(199, expected.Length);
        Assert.Equal(expected, state.Keys.ToArray());
        Assert.Equal(new long[] { 30522, 768 }, state["embeddings.word_embeddings.weight"].shape);
        Assert.Equal(new long[] { 512, 768 }, state["embeddings.position_embeddings.weight"].shape);
        Assert.Equal(new long[] { 2, 768 }, state["embeddings.token_type_embeddings.weight"].shape);
        Assert.Equal(new long[] { 768, 768 }, state["encoder.layer.11.attention.self.query.weight"].shape);
        Assert.Equal(new long[] { 3072, 768 }, state["encoder.layer.0.intermediate.dense.weight"].shape);
        Assert.Equal(new long[] { 768, 3072 }, state["encoder.layer.0.output.dense.weight"].shape);
        Assert.Equal(new long[] { 768 }, state["pooler.dense.bias"].shape);
        Assert.Equal(109_482_240L, model.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void Without_pooling_layer_the_pooler_keys_are_absent()
    {
        using var model = new BertModel(Tiny, addPoolingLayer: false);
        Assert.DoesNotContain(model.state_dict().Keys, k => k.StartsWith("pooler.", StringComparison.Ordinal));
        Assert.Equal(5 + (2 * 16), model.state_dict().Count);
    }

    [Fact]
    public void Forward_gives_B_T_H_and_eval_mode_is_deterministic()
    {
        using var model = new BertModel(Tiny);
        model.eval();
        using var ids = tensor(new long[] { 2, 5, 7, 3, 0, 2, 9, 3, 0, 0 }, new long[] { 2, 5 });
        using var mask = tensor(new long[] { 1, 1, 1, 1, 0, 1, 1, 1, 0, 0 }, new long[] { 2, 5 });
        using var a = model.forward(ids, mask);
        using var b = model.forward(ids, mask);
        Assert.Equal(new long[] { 2, 5, 32 }, a.shape);
        Assert.True(a.allclose(b, rtol: 0, atol: 0));
    }

    [Fact]
    public void Dropout_is_active_only_in_training()
    {
        using var model = new BertModel(Tiny with { HiddenDropoutProb = 0.5 });
        using var ids = tensor(new long[] { 2, 5, 7, 3 }, new long[] { 1, 4 });
        using var mask = ones_like(ids);
        model.train();
        torch.manual_seed(1);
        using var a = model.forward(ids, mask);
        using var b = model.forward(ids, mask);
        Assert.False(a.allclose(b));
        model.eval();
        using var c = model.forward(ids, mask);
        using var d = model.forward(ids, mask);
        Assert.True(c.allclose(d, rtol: 0, atol: 0));
    }

    [Fact]
    public void Padding_does_not_change_the_real_tokens_states()
    {
        using var model = new BertModel(Tiny);
        model.eval();
        using var ids = tensor(new long[] { 2, 5, 7, 3 }, new long[] { 1, 4 });
        using var alone = model.forward(ids, ones_like(ids));
        using var padded = tensor(new long[] { 2, 5, 7, 3, 0, 0, 0 }, new long[] { 1, 7 });
        using var mask = tensor(new long[] { 1, 1, 1, 1, 0, 0, 0 }, new long[] { 1, 7 });
        using var inBatch = model.forward(padded, mask);
        Assert.True(alone.allclose(inBatch.narrow(1, 0, 4), rtol: 0, atol: 1e-5));
    }

    [Fact]
    public void Packed_and_padded_forward_paths_agree_on_real_tokens()
    {
        using var model = new BertModel(Tiny);
        model.eval();
        using var ids = tensor(new long[] { 2, 5, 7, 8, 9, 3, 2, 6, 3, 0, 0, 0, 2, 3, 0, 0, 0, 0 }, new long[] { 3, 6 });
        using var mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0 }, new long[] { 3, 6 });
        model.PackingThreshold = 0;
        using var padded = model.forward(ids, mask);
        model.PackingThreshold = 1;
        using var packed = model.forward(ids, mask);
        using var real = mask.to_type(ScalarType.Bool).unsqueeze(-1);
        Assert.True(padded.masked_fill(real.logical_not(), 0).allclose(packed, rtol: 0, atol: 1e-5));
        Assert.Equal(0f, packed[1, 4].abs().sum().item<float>());
    }

    private static void SetFrozen(BertModel model, bool frozen)
    {
        foreach (var p in model.parameters())
        {
            p.requires_grad = !frozen;
        }
    }

    [Fact]
    public void Prepacked_weights_give_libtorchs_results_and_serve_only_frozen_layers_in_inference()
    {
        using var model = new BertModel(Tiny);
        model.eval();
        using var ids = tensor(new long[] { 2, 5, 7, 8, 9, 3, 2, 6, 3, 0, 0, 0 }, new long[] { 2, 6 });
        using var mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0 }, new long[] { 2, 6 });
        Tensor Run(bool prepacked)
        {
            model.UseCpuKernels = prepacked;
            using var noGrad = no_grad();
            return model.forward(ids, mask);
        }

        using var trainable = Run(true);                                                       // parameters require gradients: libtorch
        Assert.Equal(0, model.PrepackedWeights.Count);
        SetFrozen(model, true);
        using var reference = Run(false);
        Assert.Equal(0, model.PrepackedWeights.Count);
        using var fast = Run(true);
        Assert.True(fast.allclose(reference, rtol: 0, atol: 1e-5));
        Assert.True(trainable.allclose(reference, rtol: 0, atol: 0));
        int perLayer = 4;                                                                       // query/key/value, attention output, intermediate, output
        Assert.Equal(SentenceMtl.Modeling.Kernels.PrepackedLinear.IsSupported ? Tiny.NumHiddenLayers * perLayer : 0, model.PrepackedWeights.Count);

        model.train();
        using (var noGrad = no_grad())
        using (var training = model.forward(ids, mask))                                        // training mode: libtorch, copies kept
        {
            Assert.Equal(SentenceMtl.Modeling.Kernels.PrepackedLinear.IsSupported ? 8 : 0, model.PrepackedWeights.Count);
        }

        model.eval();
        SetFrozen(model, false);
        using var unfrozen = Run(true);                                                         // unfrozen layers lose their copies
        Assert.Equal(0, model.PrepackedWeights.Count);
        Assert.True(unfrozen.allclose(reference, rtol: 0, atol: 0));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void A_pass_that_mixes_kernel_layers_and_libtorch_layers_gives_libtorchs_results(int frozenLayer)
    {
        using var model = new BertModel(Tiny);
        model.eval();
        foreach (var (name, p) in model.named_parameters())
        {
            p.requires_grad = !name.StartsWith($"encoder.layer.{frozenLayer}.", StringComparison.Ordinal);   // one layer frozen
        }

        using var ids = tensor(new long[] { 2, 5, 7, 8, 9, 3, 2, 6, 3, 0, 0, 0, 2, 3, 0, 0, 0, 0 }, new long[] { 3, 6 });
        using var mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0 }, new long[] { 3, 6 });
        using var noGrad = no_grad();
        model.UseCpuKernels = false;
        using var reference = model.forward(ids, mask);
        model.UseCpuKernels = true;
        using var mixed = model.forward(ids, mask);
        Assert.True(mixed.allclose(reference, rtol: 0, atol: 1e-5), $"max |diff| {(mixed - reference).abs().max().item<float>()}");
        Assert.Equal(SentenceMtl.Modeling.Kernels.PrepackedLinear.IsSupported ? 4 : 0, model.PrepackedWeights.Count);  // the frozen layer's four
        Assert.Equal(0f, mixed[2, 3].abs().sum().item<float>());                                // padding stays zero
    }

    [Fact]
    public void A_float64_model_runs_its_frozen_inference_with_libtorch()
    {
        using var model = new BertModel(Tiny);
        model.to(float64);
        model.eval();
        SetFrozen(model, true);
        using var ids = tensor(new long[] { 2, 5, 7, 3, 2, 6, 0, 0 }, new long[] { 2, 4 });
        using var mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 0, 0 }, new long[] { 2, 4 });
        using var withGradients = model.forward(ids, mask);
        using var noGrad = no_grad();
        using var inference = model.forward(ids, mask);
        Assert.Equal(ScalarType.Float64, inference.dtype);
        Assert.True(inference.allclose(withGradients, rtol: 0, atol: 1e-12));
        Assert.Equal(0, model.PrepackedWeights.Count);
    }

    [Fact]
    public void Changed_weights_are_seen_after_releasing_the_prepacked_copies_or_unfreezing()
    {
        using var model = new BertModel(Tiny);
        model.eval();
        SetFrozen(model, true);
        using var ids = tensor(new long[] { 2, 5, 7, 3 }, new long[] { 1, 4 });
        using var mask = ones_like(ids);
        using var noGrad = no_grad();
        Tensor Forward(bool prepacked)
        {
            model.UseCpuKernels = prepacked;
            return model.forward(ids, mask);
        }

        void Scale(double factor)
        {
            foreach (var p in model.parameters().Where(p => p.dim() == 2))
            {
                p.mul_(factor);                                                                 // in place, as an optimizer step or a restore
            }
        }

        using var before = Forward(true);
        Scale(0.5);
        model.ReleasePrepackedWeights();
        using var afterRelease = Forward(true);
        using var reference = Forward(false);
        Assert.False(afterRelease.allclose(before, rtol: 0, atol: 1e-3));
        Assert.True(afterRelease.allclose(reference, rtol: 0, atol: 1e-5));

        SetFrozen(model, false);                                                                // as a trainer does before its steps
        Forward(true).Dispose();                                                                // a pass that finds the layers unfrozen

        Scale(2);
        SetFrozen(model, true);
        using var afterTraining = Forward(true);
        using var reference2 = Forward(false);
        Assert.True(afterTraining.allclose(reference2, rtol: 0, atol: 1e-5));
        Assert.True(afterTraining.allclose(before, rtol: 0, atol: 1e-4));
    }

    [Fact]
    public void Packed_training_gives_the_same_gradients()
    {
        float[] Grad(double threshold)
        {
            torch.manual_seed(3);
            using var model = new BertModel(Tiny with { HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0 });
            model.PackingThreshold = threshold;
            using var ids = tensor(new long[] { 2, 5, 7, 3, 2, 6, 3, 0 }, new long[] { 2, 4 });
            using var mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 0 }, new long[] { 2, 4 });
            using var y = model.forward(ids, mask);
            using var loss = (y * mask.unsqueeze(-1)).pow(2).sum();
            loss.backward();
            return model.named_parameters().Single(p => p.name == "encoder.layer.0.attention.self.key.weight").parameter.grad!.data<float>().ToArray();
        }

        var a = Grad(0);
        var b = Grad(1);
        Assert.True(a.Zip(b).All(p => Math.Abs(p.First - p.Second) < 1e-4));
        Assert.Contains(a, g => g != 0);
    }

    [Fact]
    public void Query_key_and_value_live_in_one_fused_storage_that_training_updates()
    {
        using var model = new BertModel(Tiny);
        model.to(CPU);
        var attention = model.named_modules().Select(m => m.module).OfType<BertSelfAttention>().ToList();
        Assert.Equal(2, attention.Count);
        Assert.All(attention, a => Assert.True(a.UsesFusedWeights));
        using var ids = tensor(new long[] { 2, 5, 7, 3, 2, 6, 3, 0 }, new long[] { 2, 4 });
        using var mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 0 }, new long[] { 2, 4 });
        model.eval();

        Tensor Fused()
        {
            using var inference = inference_mode();
            return model.forward(ids, mask);                                                    // the fused storage as it is
        }

        Tensor Concatenated() => model.forward(ids, mask).detach();                             // grad enabled: cat of the three parameters

        using var before = Fused();
        using (var reference = Concatenated())
        {
            Assert.True(before.allclose(reference, rtol: 0, atol: 1e-6));
        }

        using var optimizer = optim.AdamW(model.parameters(), lr: 0.05);
        using (var loss = model.forward(ids, mask).pow(2).sum())
        {
            loss.backward();
        }

        optimizer.step();
        using var after = Fused();
        using var afterReference = Concatenated();
        Assert.False(before.allclose(after, rtol: 0, atol: 1e-3));
        Assert.True(after.allclose(afterReference, rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void Attention_uses_exact_erf_gelu_and_config_epsilon()
    {
        using var x = tensor(new float[] { -3f, -1f, 0f, 0.5f, 2f });
        using var y = BertActivation.Apply("gelu", x);
        var expected = new[] { -3.0, -1.0, 0.0, 0.5, 2.0 }.Select(v => (float)(0.5 * v * (1 + Erf(v / Math.Sqrt(2))))).ToArray();
        var actual = y.data<float>().ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 6);
        }
    }

    // Abramowitz–Stegun 7.1.26 is too coarse; use a series that converges for |x| <= 3 to 1e-12.
    private static double Erf(double x)
    {
        double sum = 0, term = x;
        for (int n = 0; n < 200; n++)
        {
            sum += term / ((2 * n) + 1);
            term *= -x * x / (n + 1);
        }

        return 2 / Math.Sqrt(Math.PI) * sum;
    }
}
