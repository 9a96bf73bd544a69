using SentenceMtl.Checkpoints;

namespace SentenceMtl.Tests.Checkpoints;

/// <summary>A folder with only pytorch_model.bin is converted to model.safetensors, which the core then loads.</summary>
[Collection(GlobalRngCollection.Name)]
public sealed class PyTorchCheckpointTests
{
    private static readonly string[] Texts = ["the team won the match .", "a new software update released", "doctor"];

    [Fact]
    public void A_pytorch_checkpoint_converts_to_safetensors_that_embed_as_the_original()
    {
        using var folder = TinyModel.Create();
        using var original = SentenceEncoder.FromPretrained(folder.Model);
        var expected = original.Encode(Texts);
        using var other = TinyModel.Create();
        var copies = original.Torch().Backbone.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        TorchSharp.PyBridge.PyTorchPickler.PickleStateDict(Path.Combine(other.Model, "pytorch_model.bin"), copies);
        File.Delete(Path.Combine(other.Model, "model.safetensors"));

        string written = PyTorchCheckpoint.ConvertToSafetensors(other.Model);
        using var converted = SentenceEncoder.FromPretrained(other.Model);

        Assert.Equal(Path.Combine(other.Model, "model.safetensors"), written);
        Assert.Equal(expected, converted.Encode(Texts));
        Assert.True(File.Exists(Path.Combine(other.Model, "pytorch_model.bin")));
        Assert.Throws<IOException>(() => PyTorchCheckpoint.ConvertToSafetensors(other.Model));  // never overwrites
    }
}
