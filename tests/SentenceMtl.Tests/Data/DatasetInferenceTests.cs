namespace SentenceMtl.Tests.Data;

/// <summary>
/// <c>MultiTaskDataset.Load(path)</c> takes tasks and labels from the file: every column or key but the text is a task,
/// labels sorted by ordinal string order; what cannot be a task is refused with the file and the fix.
/// </summary>
public sealed class DatasetInferenceTests : IDisposable
{
    private readonly TempDataFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Csv_columns_become_tasks_in_header_order_with_sorted_labels()
    {
        string path = _files.Write("tickets.csv",
            "urgency,text,intent\nhigh,where is my order,question\nlow,love it,praise\n,\"it broke, again\",complaint\nhigh,why so slow,question\n");

        var data = MultiTaskDataset.Load(path);

        Assert.Equal(["urgency", "intent"], data.Tasks.Select(t => t.Name));
        Assert.Equal(["high", "low"], data.Tasks[0].Labels);
        Assert.Equal(["complaint", "praise", "question"], data.Tasks[1].Labels);
        Assert.Equal(4, data.Count);
        Assert.Equal("it broke, again", data.Texts[2]);
        Assert.Equal([0, 1, -1, 0], data.LabelIndices("urgency"));                             // an empty cell: unlabelled
        Assert.Equal([2, 1, 0, 2], data.LabelIndices("intent"));
    }

    [Fact]
    public void The_label_order_depends_only_on_the_labels_not_on_the_row_order()
    {
        string a = _files.Write("a.csv", "text,label\nx,b\ny,B\nz,a\n");
        string b = _files.Write("b.csv", "text,label\nz,a\nx,b\ny,B\n");

        Assert.Equal(["B", "a", "b"], MultiTaskDataset.Load(a).Tasks[0].Labels);              // ordinal: upper case first
        Assert.Equal(MultiTaskDataset.Load(a).Tasks, MultiTaskDataset.Load(b).Tasks);
    }

    [Fact]
    public void Tsv_and_the_news_jsonl_are_read_with_their_keys_as_tasks()
    {
        string tsv = _files.Write("data.tsv", "text\tmood\nhappy day\tgood\nsad day\tbad\n");
        Assert.Equal(["bad", "good"], MultiTaskDataset.Load(tsv).Tasks.Single().Labels);

        var news = MultiTaskDataset.Load(TestPaths.NewsTrain);

        Assert.Equal(["topic", "sentiment"], news.Tasks.Select(t => t.Name));
        Assert.Equal(["Entertainment", "Health", "Politics", "Sports", "Technology"], news.Tasks[0].Labels);
        Assert.Equal(["Negative", "Neutral", "Positive"], news.Tasks[1].Labels);
        Assert.Equal(150, news.LabeledCount("topic"));
    }

    [Fact]
    public void Jsonl_keys_become_tasks_in_order_of_first_use_and_null_or_absent_is_unlabelled()
    {
        string path = _files.Write("data.jsonl",
            "{\"text\": \"a\", \"intent\": \"buy\"}\n\n{\"text\": \"b\", \"urgency\": \"low\", \"intent\": null}\n" +
            "{\"urgency\": \"high\", \"text\": \"c\", \"intent\": \"sell\"}\n");

        var data = MultiTaskDataset.Load(path);

        Assert.Equal(["intent", "urgency"], data.Tasks.Select(t => t.Name));
        Assert.Equal([0, -1, 1], data.LabelIndices("intent"));
        Assert.Equal([-1, 1, 0], data.LabelIndices("urgency"));
    }

    [Theory]
    [InlineData("data.jsonl", "{\"text\": \"a\", \"intent\": \"buy\", \"id\": 3}\n", "data.jsonl:1: \"id\" must be a label name (a string), found a number")]
    [InlineData("data.jsonl", "{\"text\": \"a\", \"intent\": \"  \"}\n", "data.jsonl:1: the \"intent\" label is blank")]
    [InlineData("data.csv", "text,intent\na,buy\nb, \n", "data.csv:3: the \"intent\" label is blank")]
    [InlineData("data.csv", "text,intent\na,buy\nb,buy\n", "the \"intent\" column holds only one label (\"buy\"), and a task needs at least two")]
    [InlineData("data.csv", "text,intent\na,\nb,\n", "the \"intent\" column holds no label at all")]
    [InlineData("data.csv", "text\na\n", "no label columns: the header has only the text column \"text\"")]
    public void What_cannot_be_a_task_is_refused_naming_the_file_and_the_field(string name, string content, string expected)
    {
        string path = _files.Write(name, content);

        var error = Assert.Throws<DatasetFormatException>(() => MultiTaskDataset.Load(path));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_column_with_a_different_value_in_every_row_is_an_id_not_labels()
    {
        var rows = Enumerable.Range(0, 30).Select(i => $"text {i},row-{i},{(i % 2 == 0 ? "even" : "odd")}");
        string path = _files.Write("data.csv", "text,id,parity\n" + string.Join("\n", rows) + "\n");

        var error = Assert.Throws<DatasetFormatException>(() => MultiTaskDataset.Load(path));

        Assert.Contains("the \"id\" column holds a different value in each of its 30 examples", error.Message, StringComparison.Ordinal);
        Assert.Contains("MultiTaskDataset.Load(path, tasks)", error.Message, StringComparison.Ordinal);
        var parity = MultiTaskDataset.Load(path, [new TaskDefinition("parity", ["even", "odd"])]);   // the fix: name the tasks
        Assert.Equal(30, parity.LabeledCount("parity"));
    }

    [Fact]
    public void Require_all_labels_names_the_line_of_an_example_without_one()
    {
        string path = _files.Write("data.jsonl", "{\"text\": \"a\", \"intent\": \"buy\"}\n{\"text\": \"b\"}\n{\"text\": \"c\", \"intent\": \"sell\"}\n");

        var error = Assert.Throws<DatasetFormatException>(() => MultiTaskDataset.Load(path, new DatasetReaderOptions { RequireAllLabels = true }));

        Assert.Equal(2, error.LineNumber);
        Assert.Contains("missing \"intent\" label", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Label_fields_need_explicit_tasks_and_the_text_field_is_honoured()
    {
        string path = _files.Write("data.csv", "body,intent\na,buy\nb,sell\n");

        var error = Assert.Throws<ArgumentException>(() => MultiTaskDataset.Load(path,
            new DatasetReaderOptions { TextField = "body", LabelFields = new Dictionary<string, string> { ["intent"] = "intent" } }));
        var data = MultiTaskDataset.Load(path, new DatasetReaderOptions { TextField = "body" });

        Assert.Contains("MultiTaskDataset.Load(path, tasks, options)", error.Message, StringComparison.Ordinal);
        Assert.Equal(["a", "b"], data.Texts);
        Assert.Equal("intent", data.Tasks.Single().Name);
    }

    [Fact]
    public void A_missing_file_or_an_unknown_extension_says_so()
    {
        Assert.Throws<FileNotFoundException>(() => MultiTaskDataset.Load(_files.Missing("none.csv")));
        var error = Assert.Throws<ArgumentException>(() => MultiTaskDataset.Load(_files.Write("data.txt", "text,a\n")));
        Assert.Contains(".jsonl, .ndjson, .json, .csv or .tsv", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_task_lookup_lists_the_tasks_there_are()
    {
        var data = MultiTaskDataset.Load(_files.Write("data.csv", "text,intent\na,buy\nb,sell\n"));

        var counts = Assert.Throws<KeyNotFoundException>(() => data.LabelCounts()["Intent"]);
        var indices = Assert.Throws<ArgumentException>(() => data.LabelIndices("Intent"));

        Assert.Equal("No task named 'Intent' (tasks: intent).", counts.Message);
        Assert.Contains("(tasks: intent)", indices.Message, StringComparison.Ordinal);
    }
}
