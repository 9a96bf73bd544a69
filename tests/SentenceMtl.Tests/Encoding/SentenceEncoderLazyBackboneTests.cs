using SentenceMtl.Inference.Vectors;

namespace SentenceMtl.Tests.Encoding;

/// <summary>
/// An encoder loaded for inference builds its engine from the weight file and reads the TorchSharp backbone from the
/// same file only when something needs it: then both agree, and a file replaced in between is refused, not mixed in.
/// </summary>
public sealed class SentenceEncoderLazyBackboneTests : IDisposable
{
    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    [SkippableFact]
    public void The_backbone_read_later_computes_what_the_engine_computes()
    {
        Skip.If(VectorWidths.Widest is null, "no accelerated vector width: the backbone is read at load");
        using var encoder = SentenceEncoder.FromPretrained(folder.Model, new SentenceEncoderOptions { Device = "cpu" });
        string[] texts = ["the team won the final", "the minister lost the vote"];
        var fromEngine = encoder.Encode(texts);
        Assert.NotNull(encoder.ActiveEngine);
        var parameters = encoder.Backbone.parameters().ToList();                                // read now, from the same file
        Assert.All(parameters, p => Assert.False(p.requires_grad));
        using var inference = TorchSharp.torch.inference_mode();
        var (ids, mask) = encoder.Collate(encoder.TokenizeAll(texts));
        using var fromLibtorch = encoder.Embed(ids, mask);
        var values = fromLibtorch.data<float>().ToArray();
        for (int i = 0; i < texts.Length; i++)
        {
            for (int d = 0; d < encoder.Dimension; d++)
            {
                Assert.True(Math.Abs(fromEngine[i][d] - values[(i * encoder.Dimension) + d]) <= 1e-5, $"text {i}, value {d}");
            }
        }
    }

    [SkippableFact]
    public void A_weight_file_replaced_after_loading_is_refused_when_the_backbone_is_needed()
    {
        Skip.If(VectorWidths.Widest is null, "no accelerated vector width: the backbone is read at load");
        using var encoder = SentenceEncoder.FromPretrained(folder.Model);
        var before = encoder.Encode(["the team won"]);
        string weights = Path.Combine(folder.Model, "model.safetensors");
        using var other = TinyModel.Create(seed: 11);                                           // same shapes, other values
        File.Copy(Path.Combine(other.Model, "model.safetensors"), weights, overwrite: true);
        File.SetLastWriteTimeUtc(weights, DateTime.UtcNow.AddMinutes(1));

        var ex = Assert.Throws<InvalidOperationException>(() => encoder.Save(Path.Combine(folder.Path, "copy")));
        Assert.Contains("model.safetensors", ex.Message, StringComparison.Ordinal);
        Assert.Contains("changed after the encoder was loaded", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, encoder.Encode(["the team won"]));                                 // the engine keeps serving the weights it was built from
    }

    [SkippableFact]
    public void A_backbone_first_needed_inside_a_dispose_scope_and_inference_mode_outlives_them()
    {
        Skip.If(VectorWidths.Widest is null, "no accelerated vector width: the backbone is read at load");
        using var encoder = SentenceEncoder.FromPretrained(folder.Model);
        var (ids, mask) = encoder.Collate(encoder.TokenizeAll(["the team won"]));
        using (var scope = TorchSharp.torch.NewDisposeScope())
        using (var inference = TorchSharp.torch.inference_mode())
        {
            encoder.Backbone.forward(ids, mask);                                                // the first use reads the backbone
        }

        var names = encoder.Backbone.state_dict().Keys.ToList();                                // every parameter still there
        Assert.Contains("embeddings.word_embeddings.weight", names);
        Assert.Equal(encoder.Backbone.parameters().Count(), names.Count(n => !n.EndsWith("position_ids", StringComparison.Ordinal)));
        using var engine = encoder.CreateEngine();
        Assert.Equal(encoder.Encode(["the team won"]), engine.Embed([encoder.Tokenize("the team won")], 32, encoder.Pooling, encoder.Normalize));
        using var model = MultiTaskModel.Create(folder.Model);                                  // a multi-task model reads it at load
        Assert.True(model.IsBackboneFrozen);
    }
}
