namespace SentenceMtl.Tests.Data;

public sealed class MultiTaskDatasetTests : IDisposable
{
    private static readonly TaskDefinition[] NewsTasks = [TaskDefinition.Topic, TaskDefinition.Sentiment];

    private readonly TempDataFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static MultiTaskExample Example(string text, params (string Task, string Label)[] labels) =>
        new(text, labels.ToDictionary(l => l.Task, l => l.Label));

    // Five examples: 0 fully labelled, 1 topic only, 2 sentiment only, 3 unlabelled, 4 fully labelled.
    private static MultiTaskDataset Small() => MultiTaskDataset.Create(NewsTasks,
    [
        Example("a", ("topic", "Sports"), ("sentiment", "Positive")),
        Example("b", ("topic", "Health")),
        Example("c", ("sentiment", "Negative")),
        Example("d"),
        Example("e", ("topic", "Sports"), ("sentiment", "Neutral")),
    ]);

    [Fact]
    public void News_train_has_150_examples_balanced_over_topics_and_sentiments()
    {
        var dataset = MultiTaskDataset.Load(TestPaths.NewsTrain, NewsTasks);

        Assert.Equal(150, dataset.Count);
        Assert.Equal(NewsTasks, dataset.Tasks);
        Assert.Equal(150, dataset.LabeledCount("topic"));
        Assert.Equal(150, dataset.LabeledCount("sentiment"));
        var counts = dataset.LabelCounts();
        Assert.Equal([30, 30, 30, 30, 30], counts["topic"]);
        Assert.Equal([50, 50, 50], counts["sentiment"]);
        Assert.Equal("The new phone's battery easily lasts two full days, which is a huge improvement.", dataset.Texts[0]);
        Assert.Equal("Technology", dataset[0].Labels["topic"]);
        Assert.Equal("Positive", dataset[0].Labels["sentiment"]);
    }

    [Fact]
    public void Create_maps_label_names_to_class_indices_and_minus_one_where_unlabelled()
    {
        var dataset = Small();

        Assert.Equal(5, dataset.Count);
        Assert.Equal(["a", "b", "c", "d", "e"], dataset.Texts);
        Assert.Equal([1, 4, -1, -1, 1], dataset.LabelIndices("topic"));
        Assert.Equal([2, -1, 0, -1, 1], dataset.LabelIndices("sentiment"));
        Assert.Equal(3, dataset.LabeledCount("topic"));
        Assert.Equal(3, dataset.LabeledCount("sentiment"));
        Assert.Equal(["a", "b", "c", "d", "e"], dataset.Select(e => e.Text));
    }

    [Fact]
    public void LabelCounts_count_each_class_and_skip_unlabelled_examples()
    {
        var counts = Small().LabelCounts();

        Assert.Equal(2, counts.Count);
        Assert.Equal([0, 2, 0, 0, 1], counts["topic"]);
        Assert.Equal([1, 1, 1], counts["sentiment"]);
    }

    [Fact]
    public void LabelIndices_returns_a_copy()
    {
        var dataset = Small();

        dataset.LabelIndices("topic")[0] = 3;

        Assert.Equal(1, dataset.LabelIndices("topic")[0]);
    }

    [Fact]
    public void Unknown_task_names_are_rejected_by_the_per_task_queries()
    {
        var dataset = Small();

        var e = Assert.Throws<ArgumentException>(() => dataset.LabelIndices("Topic"));
        Assert.Contains("\"Topic\"", e.Message);
        Assert.Contains("topic, sentiment", e.Message);
        Assert.Throws<ArgumentException>(() => dataset.LabeledCount("language"));
    }

    [Fact]
    public void Indexer_checks_its_range()
    {
        var dataset = Small();

        Assert.Equal("e", dataset[4].Text);
        Assert.Throws<ArgumentOutOfRangeException>(() => dataset[5]);
        Assert.Throws<ArgumentOutOfRangeException>(() => dataset[-1]);
    }

    [Fact]
    public void Subset_keeps_the_given_order_and_labels()
    {
        var subset = Small().Subset([4, 1, 4]);

        Assert.Equal(["e", "b", "e"], subset.Texts);
        Assert.Equal(NewsTasks, subset.Tasks);
        Assert.Equal([1, 4, 1], subset.LabelIndices("topic"));
        Assert.Equal([1, -1, 1], subset.LabelIndices("sentiment"));
        Assert.Equal([0, 2, 0, 0, 1], subset.LabelCounts()["topic"]);
        Assert.Empty(Small().Subset([]));
    }

    [Fact]
    public void Subset_rejects_indices_out_of_range()
    {
        var dataset = Small();

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => dataset.Subset([0, 5]));
        Assert.Contains("Index 5 (position 1)", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => dataset.Subset([-1]));
        Assert.Throws<ArgumentNullException>(() => dataset.Subset(null!));
    }

    [Fact]
    public void Create_rejects_an_unknown_label_naming_example_task_label_and_the_valid_labels()
    {
        var e = Assert.Throws<ArgumentException>(() => MultiTaskDataset.Create(NewsTasks,
            [Example("a", ("topic", "Sports")), Example("b", ("topic", "sports"))]));

        Assert.Contains("Example 1", e.Message);
        Assert.Contains("unknown topic label \"sports\" (valid: Technology, Sports, Politics, Entertainment, Health)", e.Message);
    }

    [Fact]
    public void Create_rejects_labels_for_tasks_it_does_not_have()
    {
        var e = Assert.Throws<ArgumentException>(() => MultiTaskDataset.Create([TaskDefinition.Topic],
            [Example("a", ("topic", "Sports"), ("sentiment", "Positive"))]));

        Assert.Contains("Example 0", e.Message);
        Assert.Contains("unknown task \"sentiment\"", e.Message);
    }

    [Fact]
    public void Create_rejects_null_text_null_labels_null_label_names_and_null_examples()
    {
        Assert.Contains("Example 0 has no text", Assert.Throws<ArgumentException>(
            () => MultiTaskDataset.Create(NewsTasks, [new MultiTaskExample(null!, new Dictionary<string, string>())])).Message);
        Assert.Contains("null Labels", Assert.Throws<ArgumentException>(
            () => MultiTaskDataset.Create(NewsTasks, [new MultiTaskExample("a", null!)])).Message);
        Assert.Contains("\"topic\" label is null", Assert.Throws<ArgumentException>(
            () => MultiTaskDataset.Create(NewsTasks, [Example("a", ("topic", null!))])).Message);
        Assert.Contains("Example 1 is null", Assert.Throws<ArgumentException>(
            () => MultiTaskDataset.Create(NewsTasks, [Example("a"), null!])).Message);
    }

    [Fact]
    public void Create_rejects_null_or_duplicate_tasks()
    {
        Assert.Throws<ArgumentNullException>(() => MultiTaskDataset.Create(null!, []));
        Assert.Throws<ArgumentNullException>(() => MultiTaskDataset.Create(NewsTasks, null!));
        Assert.Throws<ArgumentException>(() => MultiTaskDataset.Create([TaskDefinition.Topic, null!], []));
        var e = Assert.Throws<ArgumentException>(() => MultiTaskDataset.Create([TaskDefinition.Topic, TaskDefinition.Topic], []));
        Assert.Contains("\"topic\"", e.Message);
    }

    [Fact]
    public void Create_copies_the_labels_so_later_changes_do_not_leak_in()
    {
        var labels = new Dictionary<string, string> { ["topic"] = "Sports" };
        var dataset = MultiTaskDataset.Create(NewsTasks, [new MultiTaskExample("a", labels)]);

        labels["topic"] = "not a label";

        Assert.Equal("Sports", dataset[0].Labels["topic"]);
        Assert.Equal([1], dataset.LabelIndices("topic"));
    }

    [Fact]
    public void Create_accepts_empty_texts_and_keeps_whitespace()
    {
        var dataset = MultiTaskDataset.Create(NewsTasks, [Example(""), Example("  padded \t")]);

        Assert.Equal(["", "  padded \t"], dataset.Texts);
    }

    [Fact]
    public void Examples_compare_by_text_and_label_content()
    {
        var a = Example("x", ("topic", "Sports"));
        var b = new MultiTaskExample("x", new SortedDictionary<string, string> { ["topic"] = "Sports" });

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, Example("x", ("topic", "Health")));
        Assert.NotEqual(a, Example("x"));
        Assert.Contains("topic: Sports", a.ToString());
    }

    [Theory]
    [InlineData("data.jsonl")]
    [InlineData("data.NDJSON")]
    [InlineData("data.json")]
    public void Load_reads_json_lines_by_extension(string fileName)
    {
        string path = _files.Write(fileName, """{"text": "a", "topic": "Sports"}""" + "\n");

        var dataset = MultiTaskDataset.Load(path, NewsTasks);

        Assert.Equal([1], dataset.LabelIndices("topic"));
    }

    [Fact]
    public void Load_reads_csv_with_the_option_delimiter_and_tsv_with_tabs()
    {
        string csv = _files.Write("data.csv", "text;topic;sentiment\na, b;Sports;\n");
        string tsv = _files.Write("data.TSV", "text\ttopic\tsentiment\na, b;\tSports\t\n");

        var fromCsv = MultiTaskDataset.Load(csv, NewsTasks, new DatasetReaderOptions { CsvDelimiter = ';' });
        var fromTsv = MultiTaskDataset.Load(tsv, NewsTasks, new DatasetReaderOptions { CsvDelimiter = ';' });

        Assert.Equal(["a, b"], fromCsv.Texts);
        Assert.Equal(["a, b;"], fromTsv.Texts);
        Assert.Equal([1], fromTsv.LabelIndices("topic"));
    }

    [Fact]
    public void Load_rejects_unknown_extensions()
    {
        string path = _files.Write("data.txt", "text\n");

        var e = Assert.Throws<ArgumentException>(() => MultiTaskDataset.Load(path, NewsTasks));
        Assert.Contains(".jsonl", e.Message);
    }

    [Theory]
    [InlineData("absent.jsonl")]
    [InlineData("absent.csv")]
    public void A_missing_file_throws_FileNotFoundException_naming_it(string fileName)
    {
        string path = _files.Missing(fileName);

        var e = Assert.Throws<FileNotFoundException>(() => MultiTaskDataset.Load(path, NewsTasks));
        Assert.Equal(path, e.FileName);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void DatasetFormatException_message_is_path_line_problem()
    {
        Assert.Equal("d.jsonl:7: bad", new DatasetFormatException("d.jsonl", 7, "bad").Message);
        Assert.Equal("d.jsonl: no examples", new DatasetFormatException("d.jsonl", 0, "no examples").Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DatasetFormatException("d.jsonl", -1, "bad"));
    }
}
