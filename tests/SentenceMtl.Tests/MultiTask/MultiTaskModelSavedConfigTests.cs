using System.Text.Json.Nodes;

namespace SentenceMtl.Tests.MultiTask;

/// <summary>A damaged or hand-edited multitask_config.json is a <see cref="ModelFormatException"/> naming the file and the key.</summary>
public sealed class MultiTaskModelSavedConfigTests : IDisposable
{
    private readonly TempFolder folder = TinyModel.Create();

    public MultiTaskModelSavedConfigTests()
    {
        using var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment()).WithRandomHeads();
        model.Save(SaveDir);
    }

    public void Dispose() => folder.Dispose();

    private string SaveDir => Path.Combine(folder.Path, "saved");

    private string ConfigPath => Path.Combine(SaveDir, MultiTaskModel.ConfigFileName);

    [Theory]
    [InlineData("max_seq_length", "\"12\"", "'max_seq_length' is not valid")]
    [InlineData("max_seq_length", "1", "'max_seq_length' must be at least 2")]
    [InlineData("max_seq_length", "0", "'max_seq_length' must be at least 2")]
    [InlineData("max_seq_length", "100000", "'max_seq_length' (100000) is too long for the model")]
    [InlineData("tasks", "[]", "'tasks' must be a non-empty list")]
    [InlineData("tasks", "null", "'tasks' must be a non-empty list")]
    [InlineData("tasks", "[null]", "'tasks[0]' must be an object")]
    [InlineData("tasks", """[{"name": "topic", "labels": ["only"], "hidden_sizes": []}]""", "'tasks[0].labels': Task 'topic' needs at least two labels")]
    [InlineData("tasks", """[{"name": "topic", "labels": ["a", null], "hidden_sizes": []}]""", "'tasks[0].labels': Task 'topic' has an empty label name")]
    [InlineData("tasks", """[{"name": " ", "labels": ["a", "b"], "hidden_sizes": []}]""", "'tasks[0].name' must be a non-empty string")]
    [InlineData("tasks", """[{"name": "t", "labels": ["a", "b"], "hidden_sizes": [0]}]""", "'tasks[0].hidden_sizes' must be a list of positive sizes")]
    [InlineData("tasks", """[{"name": "t", "labels": ["a", "b"], "hidden_sizes": "8"}]""", "'tasks[0].hidden_sizes' is not valid")]
    [InlineData("tasks", """[{"name": "t", "labels": ["a", "b"], "hidden_sizes": []}, {"name": "t", "labels": ["a", "b"], "hidden_sizes": []}]""", "'tasks' names task 't' twice")]
    [InlineData("activation", "99", "'activation' must be one of Gelu, Relu, Tanh (got 99)")]
    [InlineData("activation", "\"Swish\"", "'activation' is not valid")]
    [InlineData("pooling", "42", "'pooling' must be one of")]
    [InlineData("dropout", "1.5", "'dropout' must be in [0, 1)")]
    [InlineData("format_version", "2", "'format_version' is 2")]
    public void A_bad_value_is_a_ModelFormatException_naming_the_file_and_the_key(string key, string json, string expected)
    {
        var config = JsonNode.Parse(File.ReadAllText(ConfigPath))!.AsObject();
        config[key] = JsonNode.Parse(json);
        File.WriteAllText(ConfigPath, config.ToJsonString());

        var ex = Assert.Throws<ModelFormatException>(() => MultiTaskModel.Load(SaveDir));

        Assert.Equal(ConfigPath, ex.FilePath);
        Assert.StartsWith(ConfigPath + ": ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_max_seq_length_override_in_the_options_is_still_an_ArgumentException_naming_the_option()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => MultiTaskModel.Load(SaveDir, new SentenceEncoderOptions { MaxSequenceLength = 1 }));

        Assert.Equal("MaxSequenceLength", ex.ParamName);
    }

    [Fact]
    public void Duplicate_labels_are_listed_in_a_bounded_message()
    {
        var labels = Enumerable.Range(0, 10_000).Select(i => $"label {i} " + new string('z', 500)).Append("label 0 " + new string('z', 500)).ToArray();

        var ex = Assert.Throws<ArgumentException>(() => new TaskDefinition("t", labels));

        Assert.Contains("and 9981 more", ex.Message, StringComparison.Ordinal);
        Assert.True(ex.Message.Length < 4000, $"{ex.Message.Length} characters");
    }
}
