using SentenceMtl.Checkpoints;
using TorchSharp.PyBridge;

namespace SentenceMtl.Tests.Robustness;

/// <summary>Every kind of file the library reads, damaged: a typed exception naming the file, never a crash.</summary>
[Collection(GlobalRngCollection.Name)]
public sealed class DamagedFileTests : IDisposable
{
    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    private string Model => folder.Model;

    private void UsePytorchBin()
    {
        var weights = Path.Combine(Model, "model.safetensors");
        // Re-save the folder's own weights in PyTorch's pickle format, then remove the safetensors file.
        // Standalone copies: TorchSharp.PyBridge writes a view's storage offset but only the view's bytes, and the
        // backbone's query/key/value weights are views of one fused matrix.
        using (var encoder = SentenceEncoder.FromPretrained(Model))
        {
            var copies = encoder.Torch().Backbone.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
            PyTorchPickler.PickleStateDict(Path.Combine(Model, "pytorch_model.bin"), copies);
        }

        File.Delete(weights);
    }

    [Fact]
    public void A_pytorch_model_bin_converts_to_the_safetensors_file_it_came_from()
    {
        float[] expected;
        using (var encoder = SentenceEncoder.FromPretrained(Model))
        {
            expected = encoder.Encode("the team won");
        }

        UsePytorchBin();
        PyTorchCheckpoint.ConvertToSafetensors(Model);
        using var fromBin = SentenceEncoder.FromPretrained(Model);
        Assert.Equal(expected, fromBin.Encode("the team won"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(-1)]
    public void A_damaged_pytorch_model_bin_is_named(int keepBytes)
    {
        UsePytorchBin();
        string bin = Path.Combine(Model, "pytorch_model.bin");
        var bytes = File.ReadAllBytes(bin);
        File.WriteAllBytes(bin, keepBytes >= 0 ? bytes[..keepBytes] : [.. bytes.Select(b => (byte)(b ^ 0x5A))]);
        var ex = Assert.Throws<ModelFormatException>(() => PyTorchCheckpoint.ConvertToSafetensors(Model));
        Assert.Equal(bin, ex.FilePath);
    }

    [Theory]
    [InlineData("model.safetensors")]
    [InlineData("config.json")]
    [InlineData("vocab.txt")]
    public void Truncated_or_garbage_files_are_named(string file)
    {
        string path = Path.Combine(Model, file);
        var damages = new List<Func<byte[], byte[]>> { b => [.. b.Select(x => (byte)(x ^ 0xA5))], _ => [] };
        if (file != "vocab.txt")
        {
            // A vocabulary cut short that still holds the special tokens is a smaller, valid vocabulary (Hugging Face allows
            // fewer tokens than vocab_size), so truncation is checked on the other files only.
            damages.Add(b => b[..(b.Length / 2)]);
        }

        foreach (var damage in damages)
        {
            var original = File.ReadAllBytes(path);
            File.WriteAllBytes(path, damage(original));
            var ex = Assert.Throws<ModelFormatException>(() => SentenceEncoder.FromPretrained(Model));
            Assert.Equal(path, ex.FilePath);
            File.WriteAllBytes(path, original);
        }
    }

    [Fact]
    public void Weights_of_the_wrong_shape_are_listed()
    {
        var config = TinyModel.Config with { HiddenSize = 64, NumAttentionHeads = 4, IntermediateSize = 128 };
        File.WriteAllText(Path.Combine(Model, "config.json"), config.ToJson());
        var ex = Assert.Throws<ModelFormatException>(() => SentenceEncoder.FromPretrained(Model));
        Assert.Contains("wrong shapes", ex.Message, StringComparison.Ordinal);
        Assert.Contains("embeddings.word_embeddings.weight", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Weights_of_a_wrong_dtype_are_rejected()
    {
        var path = Path.Combine(Model, "model.safetensors");
        var tensors = SentenceMtl.Serialization.SafetensorsReader.Read(path)
            .Select(t => t.Name == "embeddings.LayerNorm.bias"
                ? new SentenceMtl.Serialization.TensorData(t.Name, SentenceMtl.Serialization.TensorDType.I32, t.Shape, t.Bytes)
                : t).ToList();
        SentenceMtl.Serialization.SafetensorsWriter.Write(path, tensors);
        var ex = Assert.Throws<ModelFormatException>(() => SentenceEncoder.FromPretrained(Model));
        Assert.Contains("embeddings.LayerNorm.bias", ex.Message, StringComparison.Ordinal);
    }
}
