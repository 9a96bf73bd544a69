namespace SentenceMtl.Tests.Data;

public sealed class JsonLinesDatasetReaderTests : IDisposable
{
    private static readonly TaskDefinition[] NewsTasks = [TaskDefinition.Topic, TaskDefinition.Sentiment];

    private readonly TempDataFiles _files = new();

    public void Dispose() => _files.Dispose();

    private string Write(params string[] lines) => _files.Write("data.jsonl", string.Join("\n", lines) + "\n");

    private DatasetFormatException Fails(string path, DatasetReaderOptions? options = null) =>
        Assert.Throws<DatasetFormatException>(() => MultiTaskDataset.FromJsonLines(path, NewsTasks, options));

    private static void AssertAt(DatasetFormatException e, string path, int line, string problem)
    {
        Assert.Equal(path, e.FilePath);
        Assert.Equal(line, e.LineNumber);
        Assert.StartsWith(line == 0 ? $"{path}: " : $"{path}:{line}: ", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void Reads_text_and_labels_keeping_the_text_exactly()
    {
        string path = Write(
            """{"text": "  Spaces, \"quotes\"\nand a newline ", "topic": "Sports", "sentiment": "Positive"}""",
            """{"sentiment": "Negative", "text": "", "topic": "Health"}""");

        var dataset = MultiTaskDataset.FromJsonLines(path, NewsTasks);

        Assert.Equal(["  Spaces, \"quotes\"\nand a newline ", ""], dataset.Texts);
        Assert.Equal([1, 4], dataset.LabelIndices("topic"));
        Assert.Equal([2, 0], dataset.LabelIndices("sentiment"));
    }

    // Found by the SharpFuzz harness: escaped unpaired surrogates make System.Text.Json throw InvalidOperationException.
    [Theory]
    [InlineData("""{"text": "\ud800", "topic": "Sports", "sentiment": "Positive"}""")]
    [InlineData("""{"text": "a", "topic": "\udc00", "sentiment": "Positive"}""")]
    [InlineData("""{"text": "a", "\ud800": 1}""")]
    public void An_escaped_unpaired_surrogate_is_a_format_error_with_its_line(string line)
    {
        string path = Write("""{"text": "ok", "topic": "Sports", "sentiment": "Positive"}""", line);
        AssertAt(Fails(path), path, 2, "not valid Unicode");
    }

    [Fact]
    public void An_absent_or_null_label_leaves_the_example_unlabelled_for_that_task()
    {
        string path = Write(
            """{"text": "a", "topic": "Sports"}""",
            """{"text": "b", "topic": null, "sentiment": "Neutral"}""",
            """{"text": "c"}""");

        var dataset = MultiTaskDataset.FromJsonLines(path, NewsTasks);

        Assert.Equal([1, -1, -1], dataset.LabelIndices("topic"));
        Assert.Equal([-1, 1, -1], dataset.LabelIndices("sentiment"));
        Assert.False(dataset[1].Labels.ContainsKey("topic"));
    }

    [Fact]
    public void RequireAllLabels_makes_an_absent_or_null_label_an_error()
    {
        var options = new DatasetReaderOptions { RequireAllLabels = true };
        string absent = Write("""{"text": "a", "topic": "Sports", "sentiment": "Neutral"}""", """{"text": "b", "topic": "Sports"}""");
        AssertAt(Fails(absent, options), absent, 2, "missing \"sentiment\" label");

        string nullLabel = Write("""{"text": "a", "topic": null, "sentiment": "Neutral"}""");
        AssertAt(Fails(nullLabel, options), nullLabel, 1, "missing \"topic\" label");
    }

    [Fact]
    public void Blank_lines_are_skipped_and_line_numbers_still_count_them()
    {
        string path = _files.Write("data.jsonl",
            "\n" + """{"text": "a", "topic": "Sports"}""" + "\r\n   \r\n\t\n" + """{"text": "b", "topic": "Sport"}""" + "\n\n");

        AssertAt(Fails(path), path, 5, "unknown topic label \"Sport\"");
    }

    [Fact]
    public void Extra_keys_are_ignored()
    {
        string path = Write("""{"id": 7, "text": "a", "topic": "Sports", "meta": {"source": "x"}}""");

        var dataset = MultiTaskDataset.FromJsonLines(path, NewsTasks);

        Assert.Equal(["topic"], dataset[0].Labels.Keys);
    }

    [Fact]
    public void A_byte_order_mark_is_not_part_of_the_first_key()
    {
        string path = _files.Write("bom.jsonl", "\uFEFF" + """{"text": "a", "topic": "Sports"}""");

        Assert.Equal(["a"], MultiTaskDataset.FromJsonLines(path, NewsTasks).Texts);
    }

    [Fact]
    public void Custom_field_names_are_read_and_reported_back_as_the_task()
    {
        var options = new DatasetReaderOptions
        {
            TextField = "sentence",
            LabelFields = new Dictionary<string, string> { ["topic"] = "category" },
        };
        string path = Write(
            """{"sentence": "a", "category": "Politics", "sentiment": "Positive", "topic": "ignored"}""",
            """{"sentence": "b", "category": "Politic"}""");

        var e = Fails(path, options);
        AssertAt(e, path, 2, "unknown topic label \"Politic\"");

        string good = Write("""{"sentence": "a", "category": "Politics", "sentiment": "Positive", "topic": "ignored"}""");
        var dataset = MultiTaskDataset.FromJsonLines(good, NewsTasks, options);
        Assert.Equal(["a"], dataset.Texts);
        Assert.Equal([2], dataset.LabelIndices("topic"));
        Assert.Equal("Politics", dataset[0].Labels["topic"]);
    }

    [Fact]
    public void Malformed_json_names_the_line()
    {
        string path = Write("""{"text": "a", "topic": "Sports"}""", """{"text": "b", "topic": "Sports",}""");

        var e = Fails(path);

        AssertAt(e, path, 2, "malformed JSON");
        Assert.DoesNotContain("LineNumber: 0", e.Message);
        Assert.IsAssignableFrom<System.Text.Json.JsonException>(e.InnerException);
    }

    [Fact]
    public void A_json_array_file_gets_a_hint()
    {
        string path = _files.Write("data.json", "[\n  {\"text\": \"a\"}\n]\n");

        AssertAt(Fails(path), path, 1, "one object per line");
    }

    [Theory]
    [InlineData("""["text", "topic"]""", "found an array")]
    [InlineData("\"text\"", "found a string")]
    [InlineData("42", "found a number")]
    [InlineData("null", "found null")]
    public void A_line_that_is_not_an_object_is_an_error(string line, string problem)
    {
        string path = Write("""{"text": "a"}""", line);

        AssertAt(Fails(path), path, 2, "expected a JSON object, " + problem);
    }

    [Fact]
    public void A_missing_text_is_an_error()
    {
        string path = Write("""{"text": "a"}""", """{"topic": "Sports"}""");

        AssertAt(Fails(path), path, 2, "missing text field \"text\"");
    }

    [Theory]
    [InlineData("null", "found null")]
    [InlineData("3", "found a number")]
    [InlineData("[\"a\"]", "found an array")]
    [InlineData("true", "found a boolean")]
    public void A_text_that_is_not_a_string_is_an_error(string value, string problem)
    {
        string path = Write($$"""{"text": {{value}}, "topic": "Sports"}""");

        AssertAt(Fails(path), path, 1, "text field \"text\" must be a string, " + problem);
    }

    [Theory]
    [InlineData("1", "found a number")]
    [InlineData("{\"name\": \"Sports\"}", "found an object")]
    [InlineData("[\"Sports\"]", "found an array")]
    [InlineData("false", "found a boolean")]
    public void A_label_that_is_not_a_string_is_an_error(string value, string problem)
    {
        string path = Write("""{"text": "a", "topic": "Sports"}""", $$"""{"text": "b", "topic": {{value}}}""");

        AssertAt(Fails(path), path, 2, "\"topic\" label must be a label name (a string), " + problem);
    }

    [Theory]
    [InlineData("sports")]
    [InlineData(" Sports")]
    [InlineData("")]
    public void Label_names_match_exactly_and_the_error_lists_the_valid_ones(string label)
    {
        string path = Write("""{"text": "a", "topic": "Sports"}""", $$"""{"text": "b", "topic": "{{label}}"}""");

        AssertAt(Fails(path), path, 2,
            $"unknown topic label \"{label}\" (valid: Technology, Sports, Politics, Entertainment, Health)");
    }

    [Fact]
    public void Duplicate_keys_are_malformed()
    {
        string path = Write("""{"text": "a", "topic": "Sports", "topic": "Health"}""");

        AssertAt(Fails(path), path, 1, "malformed JSON");
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n  \n")]
    public void A_file_without_examples_is_an_error_for_the_whole_file(string content)
    {
        string path = _files.Write("empty.jsonl", content);

        AssertAt(Fails(path), path, 0, "no examples");
    }

    [Fact]
    public void Options_that_contradict_the_tasks_are_rejected_before_reading()
    {
        string path = Write("""{"text": "a"}""");

        Assert.Throws<ArgumentException>(() => MultiTaskDataset.FromJsonLines(path, NewsTasks,
            new DatasetReaderOptions { LabelFields = new Dictionary<string, string> { ["topics"] = "t" } }));
        Assert.Throws<ArgumentException>(() => MultiTaskDataset.FromJsonLines(path, NewsTasks,
            new DatasetReaderOptions { LabelFields = new Dictionary<string, string> { ["topic"] = "sentiment" } }));
        Assert.Throws<ArgumentException>(() => MultiTaskDataset.FromJsonLines(path, NewsTasks,
            new DatasetReaderOptions { TextField = "topic" }));
        Assert.Throws<ArgumentException>(() => MultiTaskDataset.FromJsonLines(path, NewsTasks,
            new DatasetReaderOptions { TextField = "" }));
        Assert.Throws<ArgumentException>(() => MultiTaskDataset.FromJsonLines("", NewsTasks));
    }

    [Fact]
    public void A_missing_text_lists_the_keys_and_names_the_TextField_that_reads_a_near_miss()
    {
        string path = Write("""{"Text": "a", "topic": "Sports"}""");

        var e = Fails(path);

        AssertAt(e, path, 1, "missing text field \"text\" (keys: \"Text\", \"topic\")");
        Assert.Contains("case-sensitive", e.Message, StringComparison.Ordinal);
        Assert.Contains("set DatasetReaderOptions.TextField = \"Text\"", e.Message, StringComparison.Ordinal);
        Assert.Equal(["a"], MultiTaskDataset.FromJsonLines(path, NewsTasks, new DatasetReaderOptions { TextField = "Text" }).Texts);
    }

    [Fact]
    public void A_required_label_under_another_key_names_the_LabelFields_entry_that_reads_it()
    {
        string path = Write("""{"text": "a", "Topic": "Sports", "sentiment": "Neutral"}""");

        var e = Fails(path, new DatasetReaderOptions { RequireAllLabels = true });

        AssertAt(e, path, 1, "missing \"topic\" label (keys: \"text\", \"Topic\", \"sentiment\")");
        Assert.Contains("DatasetReaderOptions.LabelFields = new Dictionary<string, string> { [\"topic\"] = \"Topic\" }", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_object_with_many_keys_is_listed_in_a_bounded_message()
    {
        string line = "{" + string.Join(", ", Enumerable.Range(0, 300).Select(i => $"\"k{i}{new string('y', 1000)}\": 1")) + "}";
        string path = Write(line);

        var e = Fails(path);

        Assert.Contains("and 280 more", e.Message, StringComparison.Ordinal);
        Assert.True(e.Message.Length < path.Length + 4000, $"{e.Message.Length} characters");
    }
}
