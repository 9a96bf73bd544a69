using System.Runtime.InteropServices;
using SentenceMtl.Inference;
using SentenceMtl.Serialization;

namespace SentenceMtl.Tests.Inference;

/// <summary>
/// <see cref="SentenceEncoder.FromPretrained"/> builds its engine straight from model.safetensors
/// (<see cref="EngineWeightFile"/>): float16 is widened exactly, a float32 weight is read with no allocation, and a
/// damaged or mismatched folder is a <see cref="ModelFormatException"/> that names the problem.
/// </summary>
public sealed class EngineWeightFileTests
{
    private static SentenceEncoder FromFile(string folder) => SentenceEncoder.FromPretrained(folder);

    private static readonly string[] Texts = ["the team won the match .", "a new software update released", "doctor", ""];

    [Fact]
    public void Float16_weights_are_widened_exactly()
    {
        using var folder = TinyModel.Create();
        using var widened = TinyModel.Create();
        RewriteWeights(folder.Model, t => new TensorData(t.Name, TensorDType.F16, t.Shape,
            MemoryMarshal.AsBytes(t.ToFloats().Select(x => (Half)x).ToArray().AsSpan()).ToArray()));
        RewriteWeights(widened.Model, t => TensorData.FromFloats(t.Name, t.Shape, [.. t.ToFloats().Select(x => (float)(Half)x)]));
        using var half = FromFile(folder.Model);
        using var single = FromFile(widened.Model);

        Assert.Equal(single.Encode(Texts), half.Encode(Texts));
        Assert.Empty(half.Encode([]));
    }

    [Fact]
    public void A_float32_weight_is_read_straight_into_the_destination()
    {
        using var folder = TinyModel.Create();
        var source = SentenceMtl.Checkpoints.ModelResolver.Resolve(folder.Model);
        var stored = SafetensorsReader.Read(Path.Combine(folder.Model, "model.safetensors"))
            .Single(t => t.Name == "encoder.layer.1.intermediate.dense.weight").ToFloats();
        using var weights = EngineWeightFile.Open(source);
        var destination = new float[stored.Length];
        weights.Read("encoder.layer.0.output.dense.bias", new float[TinyModel.Config.HiddenSize]);        // warms the path up

        long before = GC.GetAllocatedBytesForCurrentThread();
        bool found = weights.Read("encoder.layer.1.intermediate.dense.weight", destination);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(found);
        Assert.Equal(stored, destination);
        Assert.True(allocated < 1024, $"reading {stored.Length * sizeof(float):N0} bytes allocated {allocated:N0}");
        Assert.False(weights.Read("encoder.layer.1.intermediate.dense.weight", new float[stored.Length - 1]));   // another size
        Assert.False(weights.Read("encoder.layer.9.intermediate.dense.weight", destination));                 // no such weight
    }

    [Fact]
    public void A_missing_folder_fails_as_FromPretrained_does()
    {
        string path = Path.Combine(Path.GetTempPath(), "sentencemtl-no-such-folder", "model");

        var error = Assert.Throws<ModelNotFoundException>(() => FromFile(path));

        Assert.Contains("no folder at", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_without_weights_fails_as_FromPretrained_does()
    {
        using var folder = TinyModel.Create();
        File.Delete(Path.Combine(folder.Model, "model.safetensors"));

        var error = Assert.Throws<ModelFormatException>(() => FromFile(folder.Model));

        Assert.Contains("no weights found", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("num_hidden_layers", 3)]                                                       // more layers than the file holds
    [InlineData("intermediate_size", 128)]                                                     // other shapes than the file's
    [InlineData("vocab_size", 20)]                                                             // fewer tokens than vocab.txt
    public void A_config_that_disagrees_with_the_files_fails_as_FromPretrained_does(string field, int value)
    {
        using var folder = TinyModel.Create();
        string config = Path.Combine(folder.Model, "config.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(config))!;
        json[field] = value;
        File.WriteAllText(config, json.ToJsonString());

        var error = Assert.Throws<ModelFormatException>(() => FromFile(folder.Model));

        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Integer_or_non_finite_weights_fail_as_FromPretrained_does()
    {
        using var folder = TinyModel.Create();
        const string target = "encoder.layer.1.output.dense.weight";
        RewriteWeights(folder.Model, t => t.Name != target ? t
            : new TensorData(t.Name, TensorDType.I32, t.Shape, new byte[t.Bytes.Length]));
        var integer = Assert.Throws<ModelFormatException>(() => FromFile(folder.Model));
        Assert.Contains("wrong dtypes", integer.Message, StringComparison.Ordinal);

        RewriteWeights(folder.Model, t => t.Name != target ? t
            : TensorData.FromFloats(t.Name, t.Shape, [.. Enumerable.Repeat(float.NaN, (int)t.ElementCount)]));
        var nan = Assert.Throws<ModelFormatException>(() => FromFile(folder.Model));
        Assert.Contains($"'{target}' holds NaN", nan.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Weights_only_in_pytorch_model_bin_are_refused_naming_the_conversion()
    {
        using var folder = TinyModel.Create();
        File.Move(Path.Combine(folder.Model, "model.safetensors"), Path.Combine(folder.Model, "pytorch_model.bin"));

        var error = Assert.Throws<ModelFormatException>(() => FromFile(folder.Model));

        Assert.Contains("pytorch_model.bin", error.FilePath, StringComparison.Ordinal);
        Assert.Contains("ConvertToSafetensors", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Replaces the folder's model.safetensors with its tensors passed through <paramref name="change"/>.</summary>
    private static void RewriteWeights(string folder, Func<TensorData, TensorData> change)
    {
        string path = Path.Combine(folder, "model.safetensors");
        var tensors = SafetensorsReader.Read(path).Select(change).ToList();
        SafetensorsWriter.Write(path, tensors);
    }
}
