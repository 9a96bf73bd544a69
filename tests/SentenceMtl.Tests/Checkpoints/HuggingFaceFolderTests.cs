namespace SentenceMtl.Tests.Checkpoints;

/// <summary>sentence_bert_config.json and config.json values that would make every Encode fail are rejected at load, naming file and key.</summary>
public sealed class HuggingFaceFolderTests : IDisposable
{
    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    [Theory]
    [InlineData("""{"max_seq_length": "12"}""", "'max_seq_length' must be a whole number, found the string \"12\" (write it without quotes)")]
    [InlineData("""{"max_seq_length": true}""", "'max_seq_length' must be a whole number, found a boolean")]
    [InlineData("""{"max_seq_length": 12.5}""", "'max_seq_length' must be a whole number, found 12.5")]
    [InlineData("""{"max_seq_length": 1}""", "'max_seq_length' must be at least 2, room for [CLS] and [SEP] (got 1)")]
    [InlineData("""{"max_seq_length": -3}""", "'max_seq_length' must be at least 2")]
    public void A_bad_max_seq_length_is_a_ModelFormatException_naming_the_file_and_key(string json, string expected)
    {
        string path = Path.Combine(folder.Model, "sentence_bert_config.json");
        File.WriteAllText(path, json);

        var ex = Assert.Throws<ModelFormatException>(() => SentenceEncoder.FromPretrained(folder.Model));

        Assert.Equal(path, ex.FilePath);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_max_position_embeddings_below_two_is_rejected_at_load()
    {
        string path = Path.Combine(folder.Model, "config.json");
        File.WriteAllText(path, (TinyModel.Config with { MaxPositionEmbeddings = 1 }).ToJson());

        var ex = Assert.Throws<ModelFormatException>(() => SentenceEncoder.FromPretrained(folder.Model));

        Assert.Equal(path, ex.FilePath);
        Assert.Contains("'max_position_embeddings' must be at least 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_max_seq_length_of_two_loads_and_encodes()
    {
        File.WriteAllText(Path.Combine(folder.Model, "sentence_bert_config.json"), """{"max_seq_length": 2}""");

        using var encoder = SentenceEncoder.FromPretrained(folder.Model);

        Assert.Equal(2, encoder.MaxSequenceLength);
        Assert.Equal(32, encoder.Encode("the team won the match").Length);
    }
}
