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
