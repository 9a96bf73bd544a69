namespace SentenceMtl.Tests.Encoding;

/// <summary>
/// <see cref="SentenceEncoder.TokenizeWithOffsets"/>: the ids <see cref="SentenceEncoder.Tokenize"/> gives, untruncated,
/// each placed in the original text (as Hugging Face's fast tokenizer's offset mapping places them) or, when it cannot be
/// placed exactly, not at all.
/// </summary>
[Collection(EmbeddedEncodersCollection.Name)]
public sealed class SentenceEncoderTokensTests(EmbeddedEncoders encoders)
{
    [Fact]
    public void Ids_are_those_of_tokenize_with_the_special_tokens_only_when_asked()
    {
        const string text = "The team won the match, 3 to 1!";

        var tokens = encoders.MiniLm.TokenizeWithOffsets(text);
        var bare = encoders.MiniLm.TokenizeWithOffsets(text, addSpecialTokens: false);

        Assert.Equal(encoders.MiniLm.Tokenize(text), tokens.Select(token => token.Id));
        Assert.Equal(("[CLS]", true, (int?)null), (tokens[0].Token, tokens[0].IsSpecial, tokens[0].Start));
        Assert.Equal(("[SEP]", true, (int?)null), (tokens[^1].Token, tokens[^1].IsSpecial, tokens[^1].End));
        Assert.Equal(tokens.Skip(1).SkipLast(1), bare);
        Assert.All(bare, token => Assert.False(token.IsSpecial));
    }

    [Fact]
    public void Words_and_pieces_are_placed_in_the_original_text_through_casing_and_accents()
    {
        // HF's example word "unaffable" is una ##ffa ##ble; "Café" and "naïve" lose case and accent, not their place.
        const string text = "Hello, World!  unaffable Café naïve";

        var tokens = encoders.MiniLm.TokenizeWithOffsets(text, addSpecialTokens: false);

        string[] expected = ["hello", ",", "world", "!", "una", "##ffa", "##ble", "cafe", "naive"];
        Assert.Equal(expected, tokens.Select(token => token.Token));
        Assert.Equal(
            [(0, 5), (5, 6), (7, 12), (12, 13), (15, 18), (18, 21), (21, 24), (25, 29), (30, 35)],
            tokens.Select(token => (token.Start!.Value, token.End!.Value)));
    }

    [Fact]
    public void A_decomposed_accent_stays_inside_its_word_and_an_unknown_word_is_not_placed()
    {
        // "cafe" + U+0301 (combining acute): the mark is stripped, and belongs to the letter it marks. "\u2603" (a snowman)
        // is no vocabulary word: [UNK], which stands for no exact characters, so it has no offsets; "world" after it does.
        const string text = "cafe\u0301 \u2603 world";

        var tokens = encoders.MiniLm.TokenizeWithOffsets(text, addSpecialTokens: false);

        Assert.Equal(["cafe", "[UNK]", "world"], tokens.Select(token => token.Token));
        Assert.Equal((0, 5), (tokens[0].Start!.Value, tokens[0].End!.Value));
        Assert.Null(tokens[1].Start);
        Assert.Null(tokens[1].End);
        Assert.Equal((text.IndexOf("world", StringComparison.Ordinal), text.Length), (tokens[2].Start!.Value, tokens[2].End!.Value));
    }

    [Fact]
    public void A_text_longer_than_the_model_maximum_is_not_truncated()
    {
        string text = string.Join(' ', Enumerable.Repeat("game", 300));

        var tokens = encoders.MiniLm.TokenizeWithOffsets(text);

        Assert.Equal(302, tokens.Count);
        Assert.Equal(encoders.MiniLm.MaxSequenceLength, encoders.MiniLm.Tokenize(text).Length);
        Assert.Equal((text.Length - 4, text.Length), (tokens[^2].Start!.Value, tokens[^2].End!.Value));
    }
}
