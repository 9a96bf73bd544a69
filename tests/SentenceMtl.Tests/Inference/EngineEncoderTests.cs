using System.Runtime.InteropServices;
using SentenceMtl.Inference;
using SentenceMtl.Inference.Vectors;
using SentenceMtl.Serialization;

namespace SentenceMtl.Tests.Inference;

/// <summary>
/// <see cref="EngineEncoder"/> reads a model folder as <see cref="SentenceEncoder.FromPretrained"/> does: the same vectors
/// (bit for bit: the same engine on the same weights, also from float16 files), and for a damaged or mismatched folder the
/// same <see cref="ModelFormatException"/>, message for message; weights only in pytorch_model.bin are refused with a
/// message that asks for safetensors.
/// </summary>
[Collection(GlobalRngCollection.Name)]
public sealed class EngineEncoderTests
{
    private static readonly string[] Texts = ["the team won the match .", "a new software update released", "doctor", ""];

    [SkippableFact]
    public void A_tiny_folder_embeds_as_the_encoder_does()
    {
        Skip.If(VectorWidths.Widest is null, "no accelerated vector width: the engine does not run here");
        using var folder = TinyModel.Create();
        using var engine = EngineEncoder.Load(folder.Model);
        using var encoder = SentenceEncoder.FromPretrained(folder.Model);

        Assert.NotNull(encoder.ActiveEngine);
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
        using var engine = EngineEncoder.Load(folder.Model);
        using var encoder = SentenceEncoder.FromPretrained(folder.Model);

        Assert.Equal(encoder.Encode(Texts), engine.Encode(Texts));
    }

    [Fact]
    public void A_missing_folder_fails_as_FromPretrained_does()
    {
        string path = Path.Combine(Path.GetTempPath(), "sentencemtl-no-such-folder", "model");

        var error = Assert.Throws<ModelFormatException>(() => EngineEncoder.Load(path));

        Assert.Equal(Assert.Throws<ModelFormatException>(() => SentenceEncoder.FromPretrained(path)).Message, error.Message);
        Assert.Contains("no folder at", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_without_weights_fails_as_FromPretrained_does()
    {
        using var folder = TinyModel.Create();
        File.Delete(Path.Combine(folder.Model, "model.safetensors"));

        var error = Assert.Throws<ModelFormatException>(() => EngineEncoder.Load(folder.Model));

        Assert.Equal(Assert.Throws<ModelFormatException>(() => SentenceEncoder.FromPretrained(folder.Model)).Message, error.Message);
        Assert.Contains("no weights found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Weights_only_in_pytorch_model_bin_are_refused_with_a_message_asking_for_safetensors()
    {
        using var folder = TinyModel.Create();
        string bin = Path.Combine(folder.Model, "pytorch_model.bin");
        File.Move(Path.Combine(folder.Model, "model.safetensors"), bin);                        // never read: refused by name

        var error = Assert.Throws<ModelFormatException>(() => EngineEncoder.Load(folder.Model));

        Assert.Equal(bin, error.FilePath);
        Assert.Contains("reads only model.safetensors", error.Message, StringComparison.Ordinal);
        Assert.Contains("SentenceEncoder.FromPretrained", error.Message, StringComparison.Ordinal);
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

        var error = Assert.Throws<ModelFormatException>(() => EngineEncoder.Load(folder.Model));

        Assert.Equal(Assert.Throws<ModelFormatException>(() => SentenceEncoder.FromPretrained(folder.Model)).Message, error.Message);
    }

    [Fact]
    public void Integer_or_non_finite_weights_fail_as_FromPretrained_does()
    {
        using var folder = TinyModel.Create();
        const string target = "encoder.layer.1.output.dense.weight";
        RewriteWeights(folder.Model, t => t.Name != target ? t
            : new TensorData(t.Name, TensorDType.I32, t.Shape, new byte[t.Bytes.Length]));
        var integer = Assert.Throws<ModelFormatException>(() => EngineEncoder.Load(folder.Model));
        Assert.Equal(Assert.Throws<ModelFormatException>(() => SentenceEncoder.FromPretrained(folder.Model)).Message, integer.Message);
        Assert.Contains("wrong dtypes", integer.Message, StringComparison.Ordinal);

        RewriteWeights(folder.Model, t => t.Name != target ? t
            : TensorData.FromFloats(t.Name, t.Shape, [.. Enumerable.Repeat(float.NaN, (int)t.ElementCount)]));
        var nan = Assert.Throws<ModelFormatException>(() => EngineEncoder.Load(folder.Model));
        Assert.Equal(Assert.Throws<ModelFormatException>(() => SentenceEncoder.FromPretrained(folder.Model)).Message, nan.Message);
        Assert.Contains($"'{target}' holds NaN", nan.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_configuration_the_engine_does_not_implement_is_a_model_format_error()
    {
        using var folder = TinyModel.Create();
        string config = Path.Combine(folder.Model, "config.json");
        File.WriteAllText(config, (TinyModel.Config with { HiddenAct = "relu" }).ToJson());

        var error = Assert.Throws<ModelFormatException>(() => EngineEncoder.Load(folder.Model));

        Assert.Equal(config, error.FilePath);
        Assert.Contains("hidden_act 'relu'", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void A_disposed_encoder_refuses_calls()
    {
        Skip.If(VectorWidths.Widest is null, "no accelerated vector width: the engine does not run here");
        using var folder = TinyModel.Create();
        var engine = EngineEncoder.Load(folder.Model);
        engine.Dispose();
        engine.Dispose();

        Assert.Throws<ObjectDisposedException>(() => engine.Encode(Texts));
        Assert.Throws<ArgumentException>(() => EngineEncoder.Load(" "));
    }

    /// <summary>Replaces the folder's model.safetensors with its tensors passed through <paramref name="change"/>.</summary>
    private static void RewriteWeights(string folder, Func<TensorData, TensorData> change)
    {
        string path = Path.Combine(folder, "model.safetensors");
        var tensors = SafetensorsReader.Read(path).Select(change).ToList();
        SafetensorsWriter.Write(path, tensors);
    }
}
