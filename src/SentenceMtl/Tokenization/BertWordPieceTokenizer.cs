namespace SentenceMtl.Tokenization;

/// <summary>
/// BERT's WordPiece tokenizer, giving the same ids as Hugging Face's <c>BertTokenizer</c> and
/// <c>BertTokenizerFast</c> for uncased vocabularies: <see cref="BasicTokenizer"/> words, then greedy
/// longest-match-first WordPiece with "##" continuations. Immutable after <see cref="Create(string, BertTokenizerOptions?)"/>,
/// so one instance can serve any number of threads.
/// </summary>
/// <remarks>
/// The special tokens [UNK], [SEP], [PAD], [CLS] and [MASK] written in the text itself are kept whole, as HF
/// does: "a [MASK] b" gives a, [MASK], b.
/// <para>
/// The WordPiece step is ours, not <c>Microsoft.ML.Tokenizers.WordPieceTokenizer</c>: that one measures
/// <c>max_input_chars_per_word</c> in UTF-16 code units where HF counts code points, re-runs its own
/// pre-tokenizer and allocates an <c>EncodedToken</c> per piece for every word; the greedy match is a dozen lines.
/// </para>
/// </remarks>
internal sealed class BertWordPieceTokenizer
{
    // HF's default special tokens, matched verbatim (case-sensitive) in the raw text before any other step;
    // one missing from the vocabulary ([MASK] may be) becomes [UNK], as in HF.
    private static readonly string[] SpecialTokens = ["[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]"];

    private readonly WordPieceVocabulary _vocabulary;
    private readonly BasicTokenizer _basicTokenizer;

    private BertWordPieceTokenizer(WordPieceVocabulary vocabulary, BertTokenizerOptions options, string sourceName)
    {
        _vocabulary = vocabulary;
        _basicTokenizer = new BasicTokenizer(options);
        Options = options;
        ClsTokenId = RequiredId("[CLS]");
        SepTokenId = RequiredId("[SEP]");
        PadTokenId = RequiredId("[PAD]");
        UnkTokenId = RequiredId("[UNK]");

        int RequiredId(string token) =>
            vocabulary.TryGetId(token, out int id)
                ? id
                : throw new ModelFormatException(sourceName, $"the vocabulary has no {token} token.");
    }

    /// <summary>The normalization and splitting settings.</summary>
    public BertTokenizerOptions Options { get; }

    /// <summary>The number of ids in the vocabulary (its number of lines).</summary>
    public int VocabularySize => _vocabulary.Count;

    /// <summary>The id of [CLS], which starts every encoded sequence.</summary>
    public int ClsTokenId { get; }

    /// <summary>The id of [SEP], which ends every encoded sequence.</summary>
    public int SepTokenId { get; }

    /// <summary>The id of [PAD], for padding a batch.</summary>
    public int PadTokenId { get; }

    /// <summary>The id of [UNK], which replaces a word that WordPiece cannot spell.</summary>
    public int UnkTokenId { get; }

    /// <summary>Reads the vocabulary file at <paramref name="vocabPath"/>.</summary>
    /// <param name="vocabPath">A BERT <c>vocab.txt</c>.</param>
    /// <param name="options">Normalization settings; <see langword="null"/> for the uncased defaults.</param>
    /// <exception cref="ModelFormatException">The file is missing, unreadable, empty, repeats a token or lacks [CLS], [SEP], [PAD] or [UNK].</exception>
    public static BertWordPieceTokenizer Create(string vocabPath, BertTokenizerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(vocabPath);
        FileStream stream;
        try
        {
            stream = File.OpenRead(vocabPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ModelFormatException(vocabPath, $"the vocabulary file cannot be opened: {e.Message}", e);
        }

        using (stream)
        {
            return Create(stream, options, vocabPath);
        }
    }

    /// <summary>Reads a vocabulary from <paramref name="vocabStream"/>, which is left open.</summary>
    /// <param name="vocabStream">The UTF-8 text of a BERT <c>vocab.txt</c>.</param>
    /// <param name="options">Normalization settings; <see langword="null"/> for the uncased defaults.</param>
    /// <param name="sourceName">The file or resource name that error messages give.</param>
    /// <exception cref="ModelFormatException">The text is empty, not UTF-8, repeats a token or lacks [CLS], [SEP], [PAD] or [UNK].</exception>
    public static BertWordPieceTokenizer Create(Stream vocabStream, BertTokenizerOptions? options = null, string sourceName = "vocab.txt")
    {
        ArgumentNullException.ThrowIfNull(vocabStream);
        ArgumentNullException.ThrowIfNull(sourceName);
        options ??= new BertTokenizerOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxInputCharsPerWord, nameof(options));
        return new BertWordPieceTokenizer(WordPieceVocabulary.Load(vocabStream, sourceName), options, sourceName);
    }

    /// <summary>Splits <paramref name="text"/> into WordPiece tokens, without [CLS] or [SEP].</summary>
    public IReadOnlyList<string> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        AppendIds(text, ids, int.MaxValue);
        var tokens = new string[ids.Count];
        for (int i = 0; i < tokens.Length; i++)
        {
            tokens[i] = _vocabulary[ids[i]];
        }

        return tokens;
    }

    /// <summary>The WordPiece ids of <paramref name="text"/>, without [CLS] or [SEP] and not truncated.</summary>
    internal List<int> Ids(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        AppendIds(text, ids, int.MaxValue);
        return ids;
    }

    /// <summary>The normalization and word splitting (for <see cref="TokenAligner"/>).</summary>
    internal BasicTokenizer Basic => _basicTokenizer;

    /// <summary>
    /// The model input for <paramref name="text"/>: [CLS], its WordPiece ids, [SEP]. A longer sequence is cut to
    /// exactly <paramref name="maxLength"/> ids by dropping trailing word pieces (even in the middle of a word), as
    /// HF's <c>truncation=True</c> does; [SEP] always stays.
    /// </summary>
    /// <param name="text">The text to encode.</param>
    /// <param name="maxLength">The longest sequence to return, [CLS] and [SEP] included; at least 2.</param>
    public int[] Encode(string text, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        var ids = new List<int>(Math.Min(maxLength, 128)) { ClsTokenId };
        AppendIds(text, ids, maxLength - 1);
        if (ids.Count > maxLength - 1)
        {
            ids.RemoveRange(maxLength - 1, ids.Count - (maxLength - 1));
        }

        ids.Add(SepTokenId);
        return [.. ids];
    }

    /// <summary>The vocabulary tokens of <paramref name="ids"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is not in the vocabulary.</exception>
    public string[] ConvertIdsToTokens(IReadOnlyList<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var tokens = new string[ids.Count];
        for (int i = 0; i < tokens.Length; i++)
        {
            int id = ids[i];
            if ((uint)id >= (uint)_vocabulary.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Id {id} is not in the vocabulary of {_vocabulary.Count} tokens.");
            }

            tokens[i] = _vocabulary[id];
        }

        return tokens;
    }

    /// <summary>Appends the WordPiece ids of <paramref name="text"/> to <paramref name="ids"/>, stopping once it holds at least <paramref name="limit"/>.</summary>
    private void AppendIds(string text, List<int> ids, int limit)
    {
        if (ids.Count >= limit)
        {
            return;
        }

        var words = new List<string>();
        SplitIntoWords(text, words, maxWords: limit - ids.Count);
        foreach (string word in words)
        {
            AppendWordPieces(word, ids);
            if (ids.Count >= limit)
            {
                return;
            }
        }
    }

    /// <summary>The basic tokens of <paramref name="text"/>, with special tokens written in it kept whole.</summary>
    private void SplitIntoWords(string text, List<string> words, int maxWords)
    {
        int segmentStart = 0;
        for (int bracket = text.IndexOf('[', StringComparison.Ordinal); bracket >= 0; bracket = text.IndexOf('[', bracket + 1))
        {
            string? special = SpecialTokenAt(text.AsSpan(bracket));
            if (special is null)
            {
                continue;
            }

            _basicTokenizer.Tokenize(text.AsSpan(segmentStart, bracket - segmentStart), words, maxWords);
            if (words.Count >= maxWords)
            {
                return;
            }

            words.Add(special);
            segmentStart = bracket + special.Length;
            bracket = segmentStart - 1;
        }

        _basicTokenizer.Tokenize(text.AsSpan(segmentStart), words, maxWords);
    }

    private static string? SpecialTokenAt(ReadOnlySpan<char> text)
    {
        foreach (string token in SpecialTokens)
        {
            if (text.StartsWith(token, StringComparison.Ordinal))
            {
                return token;
            }
        }

        return null;
    }

    /// <summary>
    /// HF's <c>WordpieceTokenizer</c> on one basic token: repeatedly take the longest prefix of the rest that is in
    /// the vocabulary ("##"-prefixed after the first piece); if some rest has no such prefix, or the word has more
    /// than <see cref="BertTokenizerOptions.MaxInputCharsPerWord"/> code points, the whole word is one [UNK].
    /// </summary>
    private void AppendWordPieces(string word, List<int> ids)
    {
        // A basic token that starts with '[' and is longer than "[" can only be a special token kept whole.
        if (word.Length > 1 && word[0] == '[')
        {
            ids.Add(_vocabulary.TryGetId(word, out int specialId) ? specialId : UnkTokenId);
            return;
        }

        if (word.Length > Options.MaxInputCharsPerWord && CountCodePoints(word) > Options.MaxInputCharsPerWord)
        {
            ids.Add(UnkTokenId);
            return;
        }

        int firstPiece = ids.Count;
        int start = 0;
        while (start < word.Length)
        {
            bool isFirst = start == 0;
            // Pieces longer than the longest token cannot match, so the search starts at that length.
            int end = Math.Min(word.Length, start + (isFirst ? _vocabulary.MaxTokenLength : _vocabulary.MaxContinuationLength));
            end = CodePointBoundaryAtOrBefore(word, end);
            int id = -1;
            while (end > start)
            {
                ReadOnlySpan<char> piece = word.AsSpan(start, end - start);
                if (isFirst ? _vocabulary.TryGetId(piece, out id) : _vocabulary.TryGetContinuationId(piece, out id))
                {
                    break;
                }

                id = -1;
                end = CodePointBoundaryAtOrBefore(word, end - 1);
            }

            if (id < 0)
            {
                ids.RemoveRange(firstPiece, ids.Count - firstPiece);
                ids.Add(UnkTokenId);
                return;
            }

            ids.Add(id);
            start = end;
        }
    }

    /// <summary>Moves <paramref name="index"/> back one unit if it falls between the two halves of a surrogate pair (Python slices code points).</summary>
    private static int CodePointBoundaryAtOrBefore(string word, int index) =>
        index > 0 && index < word.Length && char.IsLowSurrogate(word[index]) && char.IsHighSurrogate(word[index - 1])
            ? index - 1
            : index;

    /// <summary>Python's <c>len()</c>: code points, a surrogate pair counting once.</summary>
    private static int CountCodePoints(string word)
    {
        int count = word.Length;
        for (int i = 1; i < word.Length; i++)
        {
            if (char.IsLowSurrogate(word[i]) && char.IsHighSurrogate(word[i - 1]))
            {
                count--;
            }
        }

        return count;
    }
}
