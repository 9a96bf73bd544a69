namespace SentenceMtl.Tokenization;

/// <summary>
/// How <see cref="BertWordPieceTokenizer"/> normalizes and splits text. The defaults are those of Hugging Face's
/// <c>BertTokenizer</c> for uncased vocabularies such as <c>bert-base-uncased</c> and all-MiniLM.
/// </summary>
internal sealed record BertTokenizerOptions
{
    /// <summary>Lower-cases every word as Python's <c>str.lower()</c> does (HF <c>do_lower_case</c>). Default <see langword="true"/>.</summary>
    public bool LowerCase { get; init; } = true;

    /// <summary>
    /// Removes accents: NFD, then drops non-spacing marks (HF <c>strip_accents</c>). Default <see langword="null"/>,
    /// which strips accents exactly when <see cref="LowerCase"/> is on, as the original BERT does.
    /// </summary>
    public bool? StripAccents { get; init; }

    /// <summary>Puts spaces around every CJK ideograph so each becomes a word of its own (HF <c>tokenize_chinese_chars</c>). Default <see langword="true"/>.</summary>
    public bool TokenizeChineseChars { get; init; } = true;

    /// <summary>
    /// A word (after punctuation splitting) with more Unicode code points than this becomes a single <c>[UNK]</c>
    /// (HF <c>max_input_chars_per_word</c>). Default 100; must be positive.
    /// </summary>
    public int MaxInputCharsPerWord { get; init; } = 100;

    /// <summary>Whether accents are stripped once <see cref="StripAccents"/>'s default is resolved.</summary>
    internal bool StripsAccents => StripAccents ?? LowerCase;
}
