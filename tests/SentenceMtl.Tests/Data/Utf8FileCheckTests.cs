using System.Text;

namespace SentenceMtl.Tests.Data;

/// <summary>Bytes that are not UTF-8 in a CSV or JSONL dataset are a <see cref="DatasetFormatException"/> at their line, never U+FFFD.</summary>
public sealed class Utf8FileCheckTests : IDisposable
{
    private static readonly TaskDefinition[] NewsTasks = [TaskDefinition.Topic, TaskDefinition.Sentiment];

    private static readonly byte[] Bom = [0xEF, 0xBB, 0xBF];

    private readonly TempDataFiles _files = new();

    public void Dispose() => _files.Dispose();

    public static TheoryData<string, string> Invalid() => new()
    {
        { "lone continuation byte", "80" },
        { "Latin-1 e acute", "E9" },
        { "overlong slash", "C0AF" },
        { "surrogate encoded in UTF-8", "EDA080" },
        { "never valid", "FF" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_bytes_in_a_CSV_are_reported_at_their_line_and_byte_offset(string what, string hex)
    {
        byte[] head = Utf8("text,topic,sentiment\na,Sports,Neutral\nb");
        string path = _files.WriteBytes("data.csv", [.. head, .. Convert.FromHexString(hex), .. Utf8(",Health,\n")]);

        var e = Assert.Throws<DatasetFormatException>(() => MultiTaskDataset.FromCsv(path, NewsTasks));

        Assert.Equal(3, e.LineNumber);
        Assert.StartsWith($"{path}:3: invalid UTF-8 at byte offset {head.Length} of the file (byte 2 of the line", e.Message, StringComparison.Ordinal);
        Assert.Contains("save the file as UTF-8", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\uFFFD", e.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(what));
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_bytes_in_a_JSONL_file_with_a_byte_order_mark_are_reported_at_their_line(string what, string hex)
    {
        byte[] head = [.. Bom, .. Utf8("{\"text\": \"a\", \"topic\": \"Sports\"}\n{\"text\": \"b")];
        string path = _files.WriteBytes("data.jsonl", [.. head, .. Convert.FromHexString(hex), .. Utf8("\"}\n{\"text\": \"c\"}\n")]);

        var e = Assert.Throws<DatasetFormatException>(() => MultiTaskDataset.FromJsonLines(path, NewsTasks));

        Assert.Equal(2, e.LineNumber);
        Assert.Contains($"invalid UTF-8 at byte offset {head.Length} of the file", e.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(what));
    }

    [Fact]
    public void Invalid_bytes_deep_in_a_large_JSONL_file_are_reported_at_their_own_line()
    {
        var text = new StringBuilder();
        for (int i = 0; i < 5000; i++)
        {
            text.Append("{\"text\": \"caf\u00e9 number ").Append(i).Append("\", \"topic\": \"Health\"}\n");
        }

        byte[] head = Utf8(text.ToString() + "{\"text\": \"");
        string path = _files.WriteBytes("big.jsonl", [.. head, 0xC3, 0x28, .. Utf8("\"}\n"), .. Utf8(text.ToString())]);

        var e = Assert.Throws<DatasetFormatException>(() => MultiTaskDataset.FromJsonLines(path, NewsTasks));

        Assert.Equal(5001, e.LineNumber);
        Assert.Contains($"byte offset {head.Length} ", e.Message, StringComparison.Ordinal);
        Assert.IsType<DecoderFallbackException>(e.InnerException);
    }

    [Fact]
    public void Multi_byte_characters_across_the_read_blocks_and_a_byte_order_mark_are_accepted()
    {
        var text = new StringBuilder("text,topic,sentiment\n");
        for (int i = 0; i < 4000; i++)
        {
            text.Append("x\u00e9\u20ac\U0001F600 ").Append(i).Append(",Sports,\n");                 // 2-, 3- and 4-byte sequences at every alignment
        }

        string path = _files.WriteBytes("ok.csv", [.. Bom, .. Utf8(text.ToString())]);

        var dataset = MultiTaskDataset.FromCsv(path, NewsTasks);

        Assert.Equal(4000, dataset.Count);
        Assert.Equal("x\u00e9\u20ac\U0001F600 3999", dataset.Texts[^1]);
        Assert.DoesNotContain(dataset.Texts, t => t.Contains('\uFFFD', StringComparison.Ordinal));
    }

    [Fact]
    public void A_sequence_cut_off_at_the_end_of_the_file_is_reported()
    {
        byte[] head = Utf8("{\"text\": \"a\"}\n{\"text\": \"b\"}");
        string path = _files.WriteBytes("cut.jsonl", [.. head, 0xE2, 0x82]);

        var e = Assert.Throws<DatasetFormatException>(() => MultiTaskDataset.FromJsonLines(path, NewsTasks));

        Assert.Equal(2, e.LineNumber);
        Assert.Contains($"byte offset {head.Length} ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_UTF16_file_is_asked_to_be_saved_as_UTF8()
    {
        string path = _files.WriteBytes("utf16.csv", [.. new UnicodeEncoding(false, true).GetPreamble(), .. System.Text.Encoding.Unicode.GetBytes("text,topic,sentiment\na,Sports,\n")]);

        var csv = Assert.Throws<DatasetFormatException>(() => MultiTaskDataset.FromCsv(path, NewsTasks));
        var jsonl = Assert.Throws<DatasetFormatException>(() => MultiTaskDataset.FromJsonLines(path, NewsTasks));

        Assert.All([csv, jsonl], e =>
        {
            Assert.Equal(1, e.LineNumber);
            Assert.Contains("the file is UTF-16", e.Message, StringComparison.Ordinal);
            Assert.Contains("save it as UTF-8", e.Message, StringComparison.Ordinal);
        });
    }

    private static byte[] Utf8(string text) => System.Text.Encoding.UTF8.GetBytes(text);
}
