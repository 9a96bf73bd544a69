using System.Buffers;
using System.Globalization;
using System.Text;

namespace SentenceMtl.Tokenization;

/// <summary>
/// Hugging Face's <c>BasicTokenizer</c>: cleans the text, isolates CJK ideographs, splits on whitespace,
/// lower-cases and strips accents per word, then splits every punctuation character off as a word of its own.
/// Its words go to WordPiece one by one.
/// </summary>
/// <remarks>
/// HF's steps, in order: <c>_clean_text</c> (drop U+0000, U+FFFD and every C* character except \t \n \r; map
/// whitespace to a space), <c>_tokenize_chinese_chars</c>, NFC, <c>str.split()</c>, then per word
/// <c>lower()</c>, <c>_run_strip_accents</c> (NFD, drop Mn) and <c>_run_split_on_punc</c>. This class does the
/// first four in one pass over the text and never builds the cleaned text; an all-ASCII word (the common case)
/// skips the Unicode work, which cannot change it. NFC is applied per word, and only when accents are kept:
/// stripping decomposes the word again, so composing it first changes nothing.
/// </remarks>
internal sealed class BasicTokenizer
{
    private const int StackBufferLength = 256;

    // One cached string per ASCII character, so splitting off "," or "." allocates nothing.
    private static readonly string[] AsciiStrings = Enumerable.Range(0, 128).Select(c => ((char)c).ToString()).ToArray();

    private readonly bool _lowerCase;
    private readonly bool _stripAccents;
    private readonly bool _tokenizeChineseChars;

    /// <summary>Creates a basic tokenizer with the casing, accent and CJK settings of <paramref name="options"/>.</summary>
    public BasicTokenizer(BertTokenizerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _lowerCase = options.LowerCase;
        _stripAccents = options.StripsAccents;
        _tokenizeChineseChars = options.TokenizeChineseChars;
    }

    private enum CharKind
    {
        Keep,
        Drop,
        Separator,
        Chinese,
    }

    /// <summary>Splits <paramref name="text"/> into HF's basic tokens.</summary>
    public List<string> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = new List<string>();
        Tokenize(text, words, int.MaxValue);
        return words;
    }

    /// <summary>
    /// Appends the basic tokens of <paramref name="text"/> to <paramref name="words"/>, stopping as soon as the list
    /// holds <paramref name="maxCount"/> words (every word yields at least one WordPiece id, so a caller that
    /// needs n ids never needs more than n words).
    /// </summary>
    public void Tokenize(ReadOnlySpan<char> text, List<string> words, int maxCount)
    {
        if (words.Count >= maxCount || text.IsEmpty)
        {
            return;
        }

        // A word is at most as long as the text; it is collected here, cleaned, before it is normalized and split.
        char[]? rented = null;
        Span<char> word = text.Length <= StackBufferLength
            ? stackalloc char[StackBufferLength]
            : (rented = ArrayPool<char>.Shared.Rent(text.Length));
        try
        {
            int length = 0;
            bool isAscii = true;
            int width;
            for (int i = 0; i < text.Length; i += width)
            {
                CharKind kind = Classify(text, i, out width);
                if (kind == CharKind.Keep)
                {
                    text.Slice(i, width).CopyTo(word[length..]);
                    length += width;
                    isAscii &= text[i] < 0x80;
                    continue;
                }

                if (kind == CharKind.Drop)
                {
                    continue;
                }

                if (length > 0)
                {
                    AddWord(word[..length], isAscii, words);
                    length = 0;
                    isAscii = true;
                    if (words.Count >= maxCount)
                    {
                        return;
                    }
                }

                if (kind == CharKind.Chinese)
                {
                    AddUnicodeWord(text.Slice(i, width).ToString(), words);
                    if (words.Count >= maxCount)
                    {
                        return;
                    }
                }
            }

            if (length > 0)
            {
                AddWord(word[..length], isAscii, words);
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    /// <summary>What <c>_clean_text</c>, <c>_tokenize_chinese_chars</c> and <c>str.split()</c> make of the code point at <paramref name="index"/>.</summary>
    private CharKind Classify(ReadOnlySpan<char> text, int index, out int width)
    {
        width = 1;
        char c = text[index];
        if (c < 0x80)
        {
            if (c is ' ' or '\t' or '\n' or '\r')
            {
                return CharKind.Separator;
            }

            // The other ASCII controls, U+0000 included, are Cc.
            return c < ' ' || c == '\x7F' ? CharKind.Drop : CharKind.Keep;
        }

        int codePoint = c;
        if (char.IsSurrogate(c))
        {
            if (!char.IsHighSurrogate(c) || index + 1 >= text.Length || !char.IsLowSurrogate(text[index + 1]))
            {
                // An unpaired surrogate is category Cs to Python, so HF drops it like any control character.
                return CharKind.Drop;
            }

            codePoint = char.ConvertToUtf32(c, text[index + 1]);
            width = 2;
        }

        if (codePoint == 0xFFFD)
        {
            return CharKind.Drop;
        }

        UnicodeCategory category = CharUnicodeInfo.GetUnicodeCategory(codePoint);
        if (BertCharacterClasses.IsOtherCategory(category))
        {
            return CharKind.Drop;
        }

        // Zs is HF whitespace; U+2028 (Zl) and U+2029 (Zp) survive the cleaning but Python's str.split() splits on them.
        if (category is UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
        {
            return CharKind.Separator;
        }

        return _tokenizeChineseChars && BertCharacterClasses.IsChineseChar(codePoint) ? CharKind.Chinese : CharKind.Keep;
    }

    private void AddWord(Span<char> word, bool isAscii, List<string> words)
    {
        if (isAscii)
        {
            AddAsciiWord(word, words);
        }
        else
        {
            AddUnicodeWord(word.ToString(), words);
        }
    }

    /// <summary>An ASCII word: lower-casing is ASCII lower-casing, NFC and accent stripping change nothing.</summary>
    private void AddAsciiWord(Span<char> word, List<string> words)
    {
        if (_lowerCase)
        {
            for (int i = 0; i < word.Length; i++)
            {
                if (char.IsAsciiLetterUpper(word[i]))
                {
                    word[i] = (char)(word[i] | 0x20);
                }
            }
        }

        int start = 0;
        for (int i = 0; i < word.Length; i++)
        {
            if (BertCharacterClasses.IsAsciiPunctuation(word[i]))
            {
                if (i > start)
                {
                    words.Add(new string(word[start..i]));
                }

                words.Add(AsciiStrings[word[i]]);
                start = i + 1;
            }
        }

        if (start < word.Length)
        {
            words.Add(new string(word[start..]));
        }
    }

    private void AddUnicodeWord(string word, List<string> words)
    {
        if (!_stripAccents)
        {
            word = word.Normalize(NormalizationForm.FormC);
        }

        if (_lowerCase)
        {
            word = PythonCasing.ToLower(word);
        }

        if (_stripAccents)
        {
            word = StripAccents(word);
        }

        SplitOnPunctuation(word, words);
    }

    /// <summary>HF's <c>_run_strip_accents</c>: NFD, then every non-spacing mark (Mn) removed.</summary>
    private static string StripAccents(string word)
    {
        string decomposed = word.Normalize(NormalizationForm.FormD);
        StringBuilder? stripped = null;
        int kept = 0;
        for (int i = 0; i < decomposed.Length;)
        {
            Rune.DecodeFromUtf16(decomposed.AsSpan(i), out Rune rune, out int length);
            if (Rune.GetUnicodeCategory(rune) == UnicodeCategory.NonSpacingMark)
            {
                stripped ??= new StringBuilder(decomposed.Length);
                stripped.Append(decomposed, kept, i - kept);
                kept = i + length;
            }

            i += length;
        }

        if (stripped is null)
        {
            return decomposed;
        }

        return stripped.Append(decomposed, kept, decomposed.Length - kept).ToString();
    }

    /// <summary>HF's <c>_run_split_on_punc</c>: every punctuation code point becomes a word of its own.</summary>
    private static void SplitOnPunctuation(string word, List<string> words)
    {
        int start = 0;
        for (int i = 0; i < word.Length;)
        {
            Rune.DecodeFromUtf16(word.AsSpan(i), out Rune rune, out int length);
            if (BertCharacterClasses.IsPunctuation(rune.Value))
            {
                if (i > start)
                {
                    words.Add(word[start..i]);
                }

                words.Add(rune.IsAscii ? AsciiStrings[rune.Value] : word.Substring(i, length));
                start = i + length;
            }

            i += length;
        }

        if (start == 0)
        {
            if (word.Length > 0)
            {
                words.Add(word);
            }
        }
        else if (start < word.Length)
        {
            words.Add(word[start..]);
        }
    }
}
