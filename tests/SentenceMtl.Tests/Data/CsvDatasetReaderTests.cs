using System.Text;

namespace SentenceMtl.Tests.Data;

public sealed class CsvDatasetReaderTests : IDisposable
{
    private static readonly TaskDefinition[] NewsTasks = [TaskDefinition.Topic, TaskDefinition.Sentiment];

    private readonly TempDataFiles _files = new();

    public void Dispose() => _files.Dispose();

    private string Write(params string[] lines) => _files.Write("data.csv", string.Join("\n", lines) + "\n");

    private DatasetFormatException Fails(string path, DatasetReaderOptions? options = null) =>
        Assert.Throws<DatasetFormatException>(() => MultiTaskDataset.FromCsv(path, NewsTasks, options));

    private static void AssertAt(DatasetFormatException e, string path, int line, string problem)
    {
        Assert.Equal(path, e.FilePath);
        Assert.Equal(line, e.LineNumber);
        Assert.StartsWith(line == 0 ? $"{path}: " : $"{path}:{line}: ", e.Message);
        Assert.Contains(problem, e.Message);
    }

    // RFC 4180, written here rather than with the library under test: quote a field that holds the delimiter, a quote
    // or a line break, doubling the quotes inside.
    private static string CsvField(string value) =>
        value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;

    [Fact]
    public void News_train_round_trips_through_csv()
    {
        var fromJson = MultiTaskDataset.FromJsonLines(TestPaths.NewsTrain, NewsTasks);
        var csv = new StringBuilder("sentiment,text,topic\r\n"); // columns in another order than the JSON keys
        foreach (var example in fromJson)
        {
            csv.Append(CsvField(example.Labels["sentiment"])).Append(',').Append(CsvField(example.Text)).Append(',')
                .Append(CsvField(example.Labels["topic"])).Append("\r\n");
        }

        string path = _files.Write("news_train.csv", csv.ToString());
        var fromCsv = MultiTaskDataset.FromCsv(path, NewsTasks);

        Assert.Equal(150, fromCsv.Count);
        Assert.Equal(fromJson.ToArray(), fromCsv.ToArray());
        Assert.Equal(fromJson.LabelIndices("topic"), fromCsv.LabelIndices("topic"));
        Assert.Equal(fromJson.LabelIndices("sentiment"), fromCsv.LabelIndices("sentiment"));
        Assert.Equal([30, 30, 30, 30, 30], fromCsv.LabelCounts()["topic"]);
        Assert.Equal([50, 50, 50], fromCsv.LabelCounts()["sentiment"]);
        Assert.Contains(fromCsv.Texts, t => t.Contains(',', StringComparison.Ordinal));
    }

    [Fact]
    public void Quoted_fields_hold_delimiters_quotes_and_line_breaks()
    {
        string path = _files.Write("quoted.csv",
            "text,topic,sentiment\n" +
            "\"Hello, world\",Technology,Positive\n" +
            "\"She said \"\"no\"\".\",Politics,Negative\n" +
            "\"two\nlines\",Health,Neutral\r\n" +
            "\"crlf\r\ninside, too\",Sports,\n" +
            "\"\",\"Sports\",\"Neutral\"\n" +
            "  kept  as is ,Health,\n");

        var dataset = MultiTaskDataset.FromCsv(path, NewsTasks);

        Assert.Equal(
            ["Hello, world", "She said \"no\".", "two\nlines", "crlf\r\ninside, too", "", "  kept  as is "],
            dataset.Texts);
        Assert.Equal([0, 2, 4, 1, 1, 4], dataset.LabelIndices("topic"));
        Assert.Equal([2, 0, 1, -1, 1, -1], dataset.LabelIndices("sentiment"));
    }

    [Fact]
    public void An_empty_cell_leaves_the_example_unlabelled_for_that_task()
    {
        string path = Write("text,topic,sentiment", "a,Sports,", "b,,Positive", "c,,");

        var dataset = MultiTaskDataset.FromCsv(path, NewsTasks);

        Assert.Equal([1, -1, -1], dataset.LabelIndices("topic"));
        Assert.Equal([-1, 2, -1], dataset.LabelIndices("sentiment"));
        Assert.Equal(1, dataset.LabeledCount("topic"));
        Assert.Empty(dataset[2].Labels);
    }

    [Fact]
    public void RequireAllLabels_makes_an_empty_cell_an_error()
    {
        string path = Write("text,topic,sentiment", "a,Sports,Neutral", "b,Sports,");

        AssertAt(Fails(path, new DatasetReaderOptions { RequireAllLabels = true }), path, 3, "missing \"sentiment\" label");
    }

    [Fact]
    public void Custom_column_names_and_extra_columns()
    {
        var options = new DatasetReaderOptions
        {
            TextField = "Sentence",
            LabelFields = new Dictionary<string, string> { ["topic"] = "Category", ["sentiment"] = "Tone" },
        };
        string path = Write("id,Category,Sentence,Tone,text", "1,Health,hello,Neutral,ignored");

        var dataset = MultiTaskDataset.FromCsv(path, NewsTasks, options);

        Assert.Equal(["hello"], dataset.Texts);
        Assert.Equal(new Dictionary<string, string> { ["topic"] = "Health", ["sentiment"] = "Neutral" }, dataset[0].Labels);

        string bad = Write("id,Category,Sentence,Tone", "1,Health,hello,Happy");
        AssertAt(Fails(bad, options), bad, 2, "unknown sentiment label \"Happy\" (valid: Negative, Neutral, Positive)");
    }

    [Fact]
    public void A_missing_text_column_is_an_error_on_the_header_line_listing_the_header()
    {
        string path = Write("sentence,topic,sentiment", "a,Sports,Neutral");

        AssertAt(Fails(path), path, 1, "no column \"text\" for the text in the header (header: \"sentence\", \"topic\", \"sentiment\")");
    }

    [Fact]
    public void A_missing_label_column_is_an_error_even_when_labels_are_optional()
    {
        string path = Write("text,topic,sentimnet", "a,Sports,Neutral");

        AssertAt(Fails(path), path, 1, "no column \"sentiment\" for the sentiment labels in the header (header: \"text\", \"topic\", \"sentimnet\")");
    }

    [Fact]
    public void Duplicate_header_names_are_an_error()
    {
        string path = Write("text,topic,sentiment,note,note", "a,Sports,Neutral,x,y");

        AssertAt(Fails(path), path, 1, "the header repeats column \"note\"");
    }

    [Fact]
    public void A_record_with_the_wrong_number_of_fields_names_the_line_where_it_starts()
    {
        string path = _files.Write("data.csv",
            "text,topic,sentiment\n" +
            "\"spans\nthree\nlines\",Sports,Neutral\n" +
            "\n" +
            "too,few\n");

        AssertAt(Fails(path), path, 6, "expected 3 fields (header: \"text\", \"topic\", \"sentiment\"), found 2");

        string tooMany = Write("text,topic,sentiment", "a,Sports,Neutral,");
        AssertAt(Fails(tooMany), tooMany, 2, "expected 3 fields");
    }

    [Fact]
    public void An_unknown_label_names_the_line_and_the_valid_labels()
    {
        string path = Write("text,topic,sentiment", "\"multi\nline\",Sports,Neutral", "b,sports,Neutral");

        AssertAt(Fails(path), path, 4, "unknown topic label \"sports\" (valid: Technology, Sports, Politics, Entertainment, Health)");
    }

    [Theory]
    [InlineData("say \"hi\",Sports,Neutral", "quote inside an unquoted field")]
    [InlineData("\"quoted\" tail,Sports,Neutral", "after the closing quote")]
    [InlineData("\"never closed,Sports,Neutral\nb,Sports,Neutral", "never closed")]
    public void Malformed_quoting_is_an_error_not_a_repair(string record, string problem)
    {
        string path = Write("text,topic,sentiment", "a,Sports,Neutral", record);

        var e = Fails(path);

        AssertAt(e, path, 3, "malformed CSV");
        Assert.Contains(problem, e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("text,topic,sentiment\n")]
    [InlineData("text,topic,sentiment\n\n\n")]
    public void A_file_without_examples_is_an_error_for_the_whole_file(string content)
    {
        string path = _files.Write("empty.csv", content);

        AssertAt(Fails(path), path, 0, "no examples");
    }

    [Fact]
    public void A_byte_order_mark_is_not_part_of_the_first_column_name()
    {
        string path = _files.Write("bom.csv", "\uFEFFtext,topic,sentiment\na,Sports,Neutral\n");

        Assert.Equal(["a"], MultiTaskDataset.FromCsv(path, NewsTasks).Texts);
    }

    [Fact]
    public void Other_delimiters_come_from_the_options()
    {
        string path = Write("text|topic|sentiment", "\"a|b\"|Sports|Neutral", "c, d|Health|");

        var dataset = MultiTaskDataset.FromCsv(path, NewsTasks, new DatasetReaderOptions { CsvDelimiter = '|' });

        Assert.Equal(["a|b", "c, d"], dataset.Texts);
    }

    [Theory]
    [InlineData('"')]
    [InlineData('\n')]
    [InlineData('\r')]
    [InlineData('é')]
    public void Delimiters_that_cannot_work_are_rejected(char delimiter)
    {
        string path = Write("text", "a");

        Assert.Throws<ArgumentException>(() => MultiTaskDataset.FromCsv(path, NewsTasks, new DatasetReaderOptions { CsvDelimiter = delimiter }));
    }

    [Fact]
    public void A_text_column_that_differs_in_case_names_it_and_the_TextField_that_reads_it()
    {
        string path = Write("Text,topic,sentiment", "a,Sports,Neutral");

        var e = Fails(path);

        AssertAt(e, path, 1, "no column \"text\" for the text in the header (header: \"Text\", \"topic\", \"sentiment\")");
        Assert.Contains("case-sensitive", e.Message, StringComparison.Ordinal);
        Assert.Contains("set DatasetReaderOptions.TextField = \"Text\"", e.Message, StringComparison.Ordinal);
        Assert.Equal(["a"], MultiTaskDataset.FromCsv(path, NewsTasks, new DatasetReaderOptions { TextField = "Text" }).Texts);
    }

    [Fact]
    public void A_label_column_that_differs_in_case_names_the_LabelFields_entry_that_reads_it()
    {
        string path = Write("text,Topic,sentiment", "a,Sports,Neutral");

        var e = Fails(path);

        AssertAt(e, path, 1, "no column \"topic\" for the topic labels");
        Assert.Contains("case-sensitive", e.Message, StringComparison.Ordinal);
        Assert.Contains("DatasetReaderOptions.LabelFields = new Dictionary<string, string> { [\"topic\"] = \"Topic\" }", e.Message, StringComparison.Ordinal);
        var fixedOptions = new DatasetReaderOptions { LabelFields = new Dictionary<string, string> { ["topic"] = "Topic" } };
        Assert.Equal(["a"], MultiTaskDataset.FromCsv(path, NewsTasks, fixedOptions).Texts);
    }

    [Fact]
    public void A_column_with_spaces_around_its_name_says_names_are_not_trimmed()
    {
        string path = Write(" text ,topic,sentiment", "a,Sports,Neutral");

        var e = Fails(path);

        Assert.Contains("not trimmed", e.Message, StringComparison.Ordinal);
        Assert.Contains("DatasetReaderOptions.TextField = \" text \"", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_column_with_no_near_miss_names_the_option_to_set()
    {
        string path = Write("sentence,topic,sentiment", "a,Sports,Neutral");

        var e = Fails(path);

        Assert.Contains("Names are case-sensitive", e.Message, StringComparison.Ordinal);
        Assert.Contains("set DatasetReaderOptions.TextField to its name", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(';', "';'")]
    [InlineData('\t', "'\\t'")]
    public void A_header_read_as_one_column_holding_another_separator_suggests_CsvDelimiter(char separator, string written)
    {
        string path = Write($"text{separator}topic{separator}sentiment", $"a{separator}Sports{separator}Neutral");

        var e = Fails(path);

        AssertAt(e, path, 1, "no column \"text\"");
        Assert.Contains($"set DatasetReaderOptions.CsvDelimiter = {written}", e.Message, StringComparison.Ordinal);
        Assert.Equal(["a"], MultiTaskDataset.FromCsv(path, NewsTasks, new DatasetReaderOptions { CsvDelimiter = separator }).Texts);
    }

    [Fact]
    public void A_huge_header_is_listed_in_a_bounded_message()
    {
        var names = Enumerable.Range(0, 500).Select(i => $"c{i}" + new string('x', 1000));
        string path = Write(string.Join(",", names), string.Join(",", Enumerable.Repeat("v", 500)));

        var e = Fails(path);

        Assert.Contains("and 480 more", e.Message, StringComparison.Ordinal);
        Assert.True(e.Message.Length < path.Length + 4000, $"{e.Message.Length} characters");
    }
}
