using System.Runtime.InteropServices;
using SentenceMtl.Inference;
using SentenceMtl.Inference.Vectors;
using SentenceMtl.Serialization;

namespace SentenceMtl.Tests.Inference;

/// <summary>
/// <see cref="SentenceEncoder.FromPretrained"/> builds its engine straight from model.safetensors
/// (<see cref="EngineWeightFile"/>), and reads the TorchSharp backbone (<see cref="SentenceEncoder.LoadWithBackbone"/>, or
/// <c>UseInferenceEngine = false</c>) through libtorch's loader: both give the same vectors (bit for bit when the engine
/// is built from the backbone instead, also from float16 files), and for a damaged or mismatched folder the same
/// <see cref="ModelFormatException"/>, message for message.
/// </summary>
[Collection(GlobalRngCollection.Name)]
public sealed class EngineWeightFileTests
{
    private static SentenceEncoder FromFile(string folder) => SentenceEncoder.FromPretrained(folder);

    private static SentenceEncoder OnLibtorch(string folder) =>
        SentenceEncoder.FromPretrained(folder, new SentenceEncoderOptions { UseInferenceEngine = false });

    private static readonly string[] Texts = ["the team won the match .", "a new software update released", "doctor", ""];

    [SkippableFact]
    public void A_tiny_folder_embeds_as_the_encoder_does()
    {
        Skip.If(VectorWidths.Widest is null, "no accelerated vector width: the engine does not run here");
        using var folder = TinyModel.Create();
        using var engine = FromFile(folder.Model);
        using var encoder = SentenceEncoder.LoadWithBackbone(folder.Model, null);             // its engine built from the backbone

        Assert.NotNull(encoder.ActiveEngine);
        Assert.NotNull(engine.ActiveEngine);
        Assert.Equal(encoder.Dimension, engine.Dimension);
        Assert.Equal(encoder.MaxSequenceLength, engine.MaxSequenceLength);
        Assert.Equal(encoder.Pooling, engine.Pooling);
        Assert.Equal(encoder.Normalize, engine.Normalize);
        Assert.Equal(encoder.Tokenize(Texts[0]), engine.Tokenize(Texts[0]));
        Assert.Equal(encoder.Encode(Texts), engine.Encode(Texts));
        Assert.Empty(engine.Encode([]));
    }

    [SkippableFact]
    public void Float16_weights_are_widened_exactly_as_libtorch_widens_them()
    {
        Skip.If(VectorWidths.Widest is null, "no accelerated vector width: the engine does not run here");
        using var folder = TinyModel.Create();
        RewriteWeights(folder.Model, t => new TensorData(t.Name, TensorDType.F16, t.Shape,
            MemoryMarshal.AsBytes(t.ToFloats().Select(x => (Half)x).ToArray().AsSpan()).ToArray()));
        using var engine = FromFile(folder.Model);
        using var encoder = SentenceEncoder.LoadWithBackbone(folder.Model, null);

        Assert.Equal(encoder.Encode(Texts), engine.Encode(Texts));
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

        var error = Assert.Throws<ModelFormatException>(() => FromFile(path));

        Assert.Equal(Assert.Throws<ModelFormatException>(() => OnLibtorch(path)).Message, error.Message);
        Assert.Contains("no folder at", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_without_weights_fails_as_FromPretrained_does()
    {
        using var folder = TinyModel.Create();
        File.Delete(Path.Combine(folder.Model, "model.safetensors"));

        var error = Assert.Throws<ModelFormatException>(() => FromFile(folder.Model));

        Assert.Equal(Assert.Throws<ModelFormatException>(() => OnLibtorch(folder.Model)).Message, error.Message);
        Assert.Contains("no weights found", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Weights_only_in_pytorch_model_bin_load_through_libtorch_and_the_engine_is_built_from_them()
    {
        Skip.If(VectorWidths.Widest is null, "no accelerated vector width: the engine does not run here");
        using var folder = TinyModel.Create();
        using var fromSafetensors = FromFile(folder.Model);
        var expected = fromSafetensors.Encode(Texts);
        using var other = TinyModel.Create();
        var (safetensors, bin) = (Path.Combine(other.Model, "model.safetensors"), Path.Combine(other.Model, "pytorch_model.bin"));
        using (var backbone = SentenceEncoder.LoadWithBackbone(other.Model, null))
        {
            // Standalone copies: query, key and value are views of one fused matrix (see DamagedFileTests.UsePytorchBin).
            var copies = backbone.Backbone.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
            TorchSharp.PyBridge.PyTorchPickler.PickleStateDict(bin, copies);       // a torch.save state dict
        }

        File.Delete(safetensors);
        using var fromBin = FromFile(other.Model);

        Assert.NotNull(fromBin.ActiveEngine);                                                   // built from the backbone libtorch read
        Assert.Equal(expected, fromBin.Encode(Texts));
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

        Assert.Equal(Assert.Throws<ModelFormatException>(() => OnLibtorch(folder.Model)).Message, error.Message);
    }

    [Fact]
    public void Integer_or_non_finite_weights_fail_as_FromPretrained_does()
    {
        using var folder = TinyModel.Create();
        const string target = "encoder.layer.1.output.dense.weight";
        RewriteWeights(folder.Model, t => t.Name != target ? t
            : new TensorData(t.Name, TensorDType.I32, t.Shape, new byte[t.Bytes.Length]));
        var integer = Assert.Throws<ModelFormatException>(() => FromFile(folder.Model));
        Assert.Equal(Assert.Throws<ModelFormatException>(() => OnLibtorch(folder.Model)).Message, integer.Message);
        Assert.Contains("wrong dtypes", integer.Message, StringComparison.Ordinal);

        RewriteWeights(folder.Model, t => t.Name != target ? t
            : TensorData.FromFloats(t.Name, t.Shape, [.. Enumerable.Repeat(float.NaN, (int)t.ElementCount)]));
        var nan = Assert.Throws<ModelFormatException>(() => FromFile(folder.Model));
        Assert.Equal(Assert.Throws<ModelFormatException>(() => OnLibtorch(folder.Model)).Message, nan.Message);
        Assert.Contains($"'{target}' holds NaN", nan.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_configuration_the_engine_does_not_implement_runs_on_libtorch_and_says_why()
    {
        using var folder = TinyModel.Create();
        File.WriteAllText(Path.Combine(folder.Model, "config.json"), (TinyModel.Config with { HiddenAct = "relu" }).ToJson());

        using var encoder = FromFile(folder.Model);

        Assert.Null(encoder.ActiveEngine);
        Assert.Contains("hidden_act 'relu'", encoder.InferenceBackend, StringComparison.Ordinal);
        Assert.Equal(encoder.Dimension, encoder.Encode(Texts)[0].Length);
    }

    /// <summary>Replaces the folder's model.safetensors with its tensors passed through <paramref name="change"/>.</summary>
    private static void RewriteWeights(string folder, Func<TensorData, TensorData> change)
    {
        string path = Path.Combine(folder, "model.safetensors");
        var tensors = SafetensorsReader.Read(path).Select(change).ToList();
        SafetensorsWriter.Write(path, tensors);
    }
}
