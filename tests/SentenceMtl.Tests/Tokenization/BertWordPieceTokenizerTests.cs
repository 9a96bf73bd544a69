using System.Text;
using SentenceMtl.Tokenization;

namespace SentenceMtl.Tests.Tokenization;

/// <summary>
/// The expected tokens are Hugging Face's: its published test vectors (transformers
/// tests/models/bert/test_tokenization_bert.py) and, for the other cases, what HF's BertTokenizer gives with the
/// bert-base-uncased vocabulary that all-MiniLM-L6-v2 uses. Every vocabulary is built here, in code.
/// </summary>
public class BertWordPieceTokenizerTests
{
    // The vocabulary of HF's BertTokenizationTest.setUp.
    private static readonly string[] HfTestVocab =
        ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]", "want", "##want", "##ed", "wa", "un", "runn", "##ing", ",", "low", "lowest"];

    // Lines of bert-base-uncased's vocab.txt, each at its real id; every other id holds a filler that no text can
    // match. For the texts tested against it, this vocabulary gives the same tokens as the whole file.
    private static readonly Dictionary<int, string> UncasedLines = new()
    {
        [0] = "[PAD]", [100] = "[UNK]", [101] = "[CLS]", [102] = "[SEP]", [103] = "[MASK]",
        [999] = "!", [1002] = "$", [1009] = "+", [1010] = ",", [1012] = ".", [1017] = "3", [1019] = "5",
        [1022] = "8", [1027] = "=", [1031] = "[", [1033] = "]", [1037] = "a", [1038] = "b", [1039] = "c",
        [1040] = "d", [1045] = "i", [1060] = "x", [1169] = "ο", [1173] = "σ", [1755] = "京", [1756] = "人", [1781] = "北",
        [1855] = "我", [1873] = "有", [1916] = "的", [1998] = "and", [2088] = "world", [2293] = "love",
        [2361] = "##p", [3367] = "##st", [5297] = "allen", [6251] = "sentence", [7308] = "mask",
        [7592] = "hello", [7668] = "cafe", [9960] = "istanbul", [11113] = "ab", [14608] = "##α",
        [15297] = "##ος", [15687] = "##strom", [15743] = "naive", [17076] = "ang", [19579] = "##ς",
        [20554] = "##nl", [21716] = "##rom", [29722] = "##δ", [30282] = "##人", [30399] = "##有",
    };

    private const int UncasedVocabularySize = 30_522;

    private static readonly Lazy<BertWordPieceTokenizer> Uncased = new(() => WithUncasedLines(new BertTokenizerOptions()));

    private static BertWordPieceTokenizer FromTokens(IEnumerable<string> tokens, BertTokenizerOptions? options = null, string newline = "\n")
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(string.Join(newline, tokens) + newline));
        return BertWordPieceTokenizer.Create(stream, options);
    }

    private static BertWordPieceTokenizer WithUncasedLines(BertTokenizerOptions options) =>
        FromTokens(
            Enumerable.Range(0, UncasedVocabularySize).Select(id => UncasedLines.GetValueOrDefault(id, $"[filler{id}]")),
            options,
            newline: "\r\n"); // the real vocab.txt has Windows line ends

    private static string[] Words(string spaceSeparated) =>
        spaceSeparated.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    // ---- HF's published test vectors ----

    [Fact]
    public void Full_tokenizer_matches_hf_test_full_tokenizer()
    {
        var tokenizer = FromTokens(HfTestVocab);

        Assert.Equal(["un", "##want", "##ed", ",", "runn", "##ing"], tokenizer.Tokenize("UNwant\u00E9d,running"));
        Assert.Equal([1, 9, 6, 7, 12, 10, 11, 2], tokenizer.Encode("UNwant\u00E9d,running", maxLength: 512));
    }

    [Fact]
    public void Wordpiece_matches_hf_test_wordpiece_tokenizer()
    {
        var tokenizer = FromTokens(["[UNK]", "[CLS]", "[SEP]", "want", "##want", "##ed", "wa", "un", "runn", "##ing", "[PAD]"]);

        Assert.Empty(tokenizer.Tokenize(""));
        Assert.Equal(["un", "##want", "##ed", "runn", "##ing"], tokenizer.Tokenize("unwanted running"));
        Assert.Equal(["[UNK]", "runn", "##ing"], tokenizer.Tokenize("unwantedX running"));
    }

    [Fact]
    public void Clean_text_matches_hf_test_clean_text()
    {
        var tokenizer = FromTokens(HfTestVocab);

        Assert.Equal(["[UNK]"], tokenizer.Tokenize("Test"));
        Assert.Empty(tokenizer.Tokenize("\u00AD"));
        Assert.Equal(["[UNK]"], tokenizer.Tokenize("test"));
    }

    [Theory]
    [InlineData(true, null, "ah\u535A\u63A8zz", "ah \u535A \u63A8 zz")]
    [InlineData(true, null, " \tHeLLo!how  \n Are yoU?  ", "hello ! how are you ?")]
    [InlineData(true, null, "H\u00E9llo", "hello")]
    [InlineData(true, false, " \tH\u00E4LLo!how  \n Are yoU?  ", "h\u00E4llo ! how are you ?")]
    [InlineData(true, false, "H\u00E9llo", "h\u00E9llo")]
    [InlineData(true, true, " \tH\u00E4LLo!how  \n Are yoU?  ", "hallo ! how are you ?")]
    [InlineData(true, true, "H\u00E9llo", "hello")]
    [InlineData(true, null, " \tH\u00E4LLo!how  \n Are yoU?  ", "hallo ! how are you ?")]
    [InlineData(false, null, " \tHeLLo!how  \n Are yoU?  ", "HeLLo ! how Are yoU ?")]
    [InlineData(false, false, " \tH\u00E4LLo!how  \n Are yoU?  ", "H\u00E4LLo ! how Are yoU ?")]
    [InlineData(false, true, " \tH\u00E4LLo!how  \n Are yoU?  ", "HaLLo ! how Are yoU ?")]
    [InlineData(true, null, "a\n'll !!to?'d of, can't.", "a ' ll ! ! to ? ' d of , can ' t .")]
    [InlineData(true, null, "\u200E\u200F", "")]
    public void Basic_tokenizer_matches_hf_basic_tokenizer_tests(bool lowerCase, bool? stripAccents, string text, string expected)
    {
        var basic = new BasicTokenizer(new BertTokenizerOptions { LowerCase = lowerCase, StripAccents = stripAccents });

        Assert.Equal(Words(expected), basic.Tokenize(text));
    }

    [Fact]
    public void Character_classes_match_hf_is_whitespace_is_control_is_punctuation()
    {
        Assert.All(" \t\r\n\u00A0", c => Assert.True(BertCharacterClasses.IsWhitespace(c)));
        Assert.All("A-", c => Assert.False(BertCharacterClasses.IsWhitespace(c)));

        Assert.True(BertCharacterClasses.IsControl('\u0005'));
        Assert.All("A \t\r", c => Assert.False(BertCharacterClasses.IsControl(c)));

        Assert.All("-$`.", c => Assert.True(BertCharacterClasses.IsPunctuation(c)));
        Assert.All("A ", c => Assert.False(BertCharacterClasses.IsPunctuation(c)));
    }

    [Fact]
    public void Special_tokens_in_the_text_match_hf_test_offsets_with_special_characters()
    {
        int[] ids = Uncased.Value.Encode("A, naïve [MASK] AllenNLP sentence.", maxLength: 512);

        Assert.Equal(
            ["[CLS]", "a", ",", "naive", "[MASK]", "allen", "##nl", "##p", "sentence", ".", "[SEP]"],
            Uncased.Value.ConvertIdsToTokens(ids));
    }

    [Fact]
    public void Chinese_chars_match_hf_test_change_tokenize_chinese_chars()
    {
        Assert.Equal(["的", "人", "有"], Uncased.Value.Tokenize("的人有"));
        Assert.Equal(["的", "##人", "##有"], WithUncasedLines(new BertTokenizerOptions { TokenizeChineseChars = false }).Tokenize("的人有"));
    }

    // ---- Cases HF's uncased tokenizer handles and ML.Tokenizers' BertTokenizer gets wrong or that are easy to break ----

    [Fact]
    public void Gives_the_real_bert_base_uncased_ids()
    {
        Assert.Equal([101, 7592, 2088, 102], Uncased.Value.Encode("Hello world", maxLength: 512));
        Assert.Equal([101, 1039, 1009, 1009, 102], Uncased.Value.Encode("C++", maxLength: 512));
        Assert.Equal(UncasedVocabularySize, Uncased.Value.VocabularySize);
        Assert.Equal((101, 102, 0, 100), (Uncased.Value.ClsTokenId, Uncased.Value.SepTokenId, Uncased.Value.PadTokenId, Uncased.Value.UnkTokenId));
    }

    [Theory]
    [InlineData("C++", "c + +")]
    [InlineData("$5+3=8", "$ 5 + 3 = 8")]
    [InlineData("I love 🤗 and 😀!", "i love [UNK] and [UNK] !")]
    [InlineData("a\tb\nc\r\nd", "a b c d")]
    [InlineData("a\u00A0b\u2028c\u2029d", "a b c d")]
    [InlineData("Café naïve Ångström", "cafe naive ang ##strom")]
    [InlineData("我爱北京", "我 [UNK] 北 京")]
    [InlineData("he\u0000llo\u0007 wor\u200Bld\uFFFD", "hello world")]
    [InlineData("a\u0085b", "ab")]
    [InlineData("İstanbul", "istanbul")]
    [InlineData("ΟΔΟΣ ΣΑΣ", "ο ##δ ##ος σ ##α ##ς")]
    [InlineData("[mask] [MASK]", "[ mask ] [MASK]")]
    [InlineData("", "")]
    [InlineData("   \t\n", "")]
    public void Tokenizes_like_hf_bert_base_uncased(string text, string expected)
    {
        Assert.Equal(Words(expected), Uncased.Value.Tokenize(text));
    }

    [Fact]
    public void Unpaired_surrogates_are_dropped_like_other_control_characters()
    {
        // Python sees a lone surrogate as category Cs, which HF's _clean_text removes.
        Assert.Equal(["x"], Uncased.Value.Tokenize("\uD800x"));
        Assert.Equal(["a"], Uncased.Value.Tokenize("a\uDC00"));
        Assert.Equal(["ab"], Uncased.Value.Tokenize("a\uDC00\uD800b"));
        Assert.Equal(["[UNK]", "a"], Uncased.Value.Tokenize("\uD83D\uDE00\uD83D a"));
    }

    [Fact]
    public void Keeping_accents_lower_cases_like_python_and_composes_like_nfc()
    {
        // Python: "İ".lower() == "i\u0307"; HF NFC-normalizes the text before splitting it.
        Assert.Equal(["i\u0307stanbul"], new BasicTokenizer(new BertTokenizerOptions { StripAccents = false }).Tokenize("İstanbul"));
        Assert.Equal(["Caf\u00E9"], new BasicTokenizer(new BertTokenizerOptions { LowerCase = false }).Tokenize("Cafe\u0301"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \t\n")]
    [InlineData("\u0000\u200B")]
    public void Encoding_a_blank_text_gives_cls_sep(string text)
    {
        Assert.Equal([101, 102], Uncased.Value.Encode(text, maxLength: 256));
    }

    [Fact]
    public void A_word_of_more_than_max_input_chars_code_points_becomes_one_unk()
    {
        var tokenizer = FromTokens(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "##a"]);

        Assert.Equal(["[UNK]"], tokenizer.Tokenize(new string('a', 101)));
        Assert.Equal(["a", .. Enumerable.Repeat("##a", 99)], tokenizer.Tokenize(new string('a', 100)));
        Assert.Equal(["[UNK]", "a"], FromTokens(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "##a"], new() { MaxInputCharsPerWord = 3 }).Tokenize("aaaa a"));
    }

    [Fact]
    public void Word_length_counts_code_points_not_utf16_units()
    {
        var tokenizer = FromTokens(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "😀", "##😀"]);

        // 60 emoji are 120 UTF-16 units but 60 characters to Python.
        Assert.Equal(["😀", .. Enumerable.Repeat("##😀", 59)], tokenizer.Tokenize(string.Concat(Enumerable.Repeat("😀", 60))));
        Assert.Equal(["[UNK]"], tokenizer.Tokenize(string.Concat(Enumerable.Repeat("😀", 101))));
    }

    [Fact]
    public void Truncation_cuts_word_pieces_and_keeps_sep()
    {
        var tokenizer = FromTokens(HfTestVocab);

        Assert.Equal([1, 9, 6, 2], tokenizer.Encode("unwanted running", maxLength: 4));
        Assert.Equal([1, 9, 6, 7, 10, 11, 2], tokenizer.Encode("unwanted running", maxLength: 7));
        Assert.Equal([1, 9, 6, 7, 10, 11, 2], tokenizer.Encode("unwanted running", maxLength: 100));
        Assert.Equal([1, 2], tokenizer.Encode("unwanted running", maxLength: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Encode("unwanted running", maxLength: 1));
    }

    [Fact]
    public void A_long_text_is_truncated_to_exactly_max_length()
    {
        string text = string.Concat(Enumerable.Repeat("Hello world, I love C++! ", 400))[..10_000];

        int[] ids = Uncased.Value.Encode(text, maxLength: 256);

        Assert.Equal(256, ids.Length);
        Assert.Equal(101, ids[0]);
        Assert.Equal(102, ids[^1]);
        Assert.Equal(Uncased.Value.Tokenize(text).Take(254), Uncased.Value.ConvertIdsToTokens(ids[1..^1]));
    }

    [Fact]
    public void Null_text_is_rejected()
    {
        Assert.Throws<ArgumentNullException>(() => Uncased.Value.Tokenize(null!));
        Assert.Throws<ArgumentNullException>(() => Uncased.Value.Encode(null!, 16));
    }

    [Fact]
    public void Converts_ids_back_to_tokens()
    {
        var tokenizer = FromTokens(HfTestVocab);

        Assert.Equal(["[CLS]", "un", "##want", "[SEP]"], tokenizer.ConvertIdsToTokens([1, 9, 6, 2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.ConvertIdsToTokens([15]));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.ConvertIdsToTokens([-1]));
    }

    [Fact]
    public void One_instance_gives_the_same_ids_on_many_threads()
    {
        string[] texts = Enumerable.Range(0, 2_000)
            .Select(i => $"Hello world {i}, I love C++ and 我爱北京! Café naïve Ångström ΟΔΟΣ [MASK] {new string('a', i % 120)}")
            .ToArray();
        int[][] sequential = texts.Select(t => Uncased.Value.Encode(t, 64)).ToArray();

        var parallel = new int[texts.Length][];
        Parallel.For(0, texts.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => parallel[i] = Uncased.Value.Encode(texts[i], 64));

        Assert.Equal(sequential, parallel);
    }

    // ---- The vocabulary file ----

    [Fact]
    public void Reads_lf_crlf_and_bom_vocabularies_alike()
    {
        var lf = FromTokens(HfTestVocab);
        var crlf = FromTokens(HfTestVocab, newline: "\r\n");
        using var bomStream = new MemoryStream([0xEF, 0xBB, 0xBF, .. System.Text.Encoding.UTF8.GetBytes(string.Join("\n", HfTestVocab))]);
        var bom = BertWordPieceTokenizer.Create(bomStream);

        foreach (var tokenizer in new[] { lf, crlf, bom })
        {
            Assert.Equal(15, tokenizer.VocabularySize);
            Assert.Equal((1, 2, 3, 0), (tokenizer.ClsTokenId, tokenizer.SepTokenId, tokenizer.PadTokenId, tokenizer.UnkTokenId));
            Assert.Equal([1, 9, 6, 7, 12, 10, 11, 2], tokenizer.Encode("UNwant\u00E9d,running", 512));
        }
    }

    [Fact]
    public void An_empty_line_keeps_its_id()
    {
        var tokenizer = FromTokens(["[PAD]", "", "[UNK]", "[CLS]", "[SEP]", "x"]);

        Assert.Equal(6, tokenizer.VocabularySize);
        Assert.Equal(2, tokenizer.UnkTokenId);
        Assert.Equal([3, 5, 4], tokenizer.Encode("x", 8));
    }

    [Fact]
    public void Reads_a_vocabulary_file()
    {
        using var file = new TempFile(string.Join("\n", HfTestVocab) + "\n");

        var tokenizer = BertWordPieceTokenizer.Create(file.Path, new BertTokenizerOptions { LowerCase = false });

        Assert.False(tokenizer.Options.LowerCase);
        Assert.Equal(["un", "##want", "##ed", "runn", "##ing"], tokenizer.Tokenize("unwanted running"));
    }

    [Fact]
    public void A_missing_vocabulary_file_names_the_file()
    {
        string path = Path.Combine(Path.GetTempPath(), $"no-such-vocab-{Guid.NewGuid():N}.txt");

        var error = Assert.Throws<ModelFormatException>(() => BertWordPieceTokenizer.Create(path));

        Assert.Equal(path, error.FilePath);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> BadVocabularies => new()
    {
        { "", "empty" },
        { "\n\n", "empty" },
        { "[PAD]\n[UNK]\n[CLS]\n[SEP]\nword\nword\n", "repeats the token 'word' on lines 5 and 6" },
        { "[PAD]\n[UNK]\n[SEP]\n", "no [CLS] token" },
        { "[PAD]\n[UNK]\n[CLS]\n", "no [SEP] token" },
        { "[UNK]\n[CLS]\n[SEP]\n", "no [PAD] token" },
        { "[PAD]\n[CLS]\n[SEP]\n", "no [UNK] token" },
        { "[cls]\n[sep]\n[pad]\n[unk]\n", "no [CLS] token" },
    };

    [Theory]
    [MemberData(nameof(BadVocabularies))]
    public void A_bad_vocabulary_file_throws_model_format_exception_naming_the_file(string content, string reason)
    {
        using var file = new TempFile(content);

        var error = Assert.Throws<ModelFormatException>(() => BertWordPieceTokenizer.Create(file.Path));

        Assert.Equal(file.Path, error.FilePath);
        Assert.Contains(file.Path, error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_vocabulary_that_is_not_utf8_is_rejected_with_the_source_name()
    {
        using var stream = new MemoryStream([.. System.Text.Encoding.UTF8.GetBytes("[PAD]\n[UNK]\n[CLS]\n[SEP]\n"), 0xFF, 0xFE, 0x41, (byte)'\n']);

        var error = Assert.Throws<ModelFormatException>(() => BertWordPieceTokenizer.Create(stream, sourceName: "models/minilm/vocab.txt"));

        Assert.Equal("models/minilm/vocab.txt", error.FilePath);
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        Assert.Throws<ArgumentNullException>(() => BertWordPieceTokenizer.Create((string)null!));
        Assert.Throws<ArgumentNullException>(() => BertWordPieceTokenizer.Create((Stream)null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => FromTokens(HfTestVocab, new BertTokenizerOptions { MaxInputCharsPerWord = 0 }));
    }

    private sealed class TempFile : IDisposable
    {
        public TempFile(string content)
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"vocab-{Guid.NewGuid():N}.txt");
            File.WriteAllText(Path, content, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        }

        public string Path { get; }

        public void Dispose() => File.Delete(Path);
    }
}
