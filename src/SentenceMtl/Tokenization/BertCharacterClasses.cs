using System.Globalization;

namespace SentenceMtl.Tokenization;

/// <summary>
/// The character classes of Hugging Face's BERT tokenizer (<c>_is_whitespace</c>, <c>_is_control</c>,
/// <c>_is_punctuation</c>, <c>_is_chinese_char</c>), decided per Unicode code point as Python does.
/// </summary>
internal static class BertCharacterClasses
{
    /// <summary>Space, tab, line feed, carriage return or any space separator (Zs, e.g. U+00A0).</summary>
    public static bool IsWhitespace(int codePoint) =>
        codePoint is ' ' or '\t' or '\n' or '\r'
        || CharUnicodeInfo.GetUnicodeCategory(codePoint) == UnicodeCategory.SpaceSeparator;

    /// <summary>
    /// Any "other" category (Cc, Cf, Cs, Co, Cn) except tab, line feed and carriage return, which count as
    /// whitespace. HF removes these characters: the test is <c>category.startswith("C")</c>.
    /// </summary>
    public static bool IsControl(int codePoint) =>
        codePoint is not ('\t' or '\n' or '\r') && IsOtherCategory(CharUnicodeInfo.GetUnicodeCategory(codePoint));

    /// <summary>
    /// Every non-alphanumeric printable ASCII character (so <c>$ + &lt; = &gt; ^ ` | ~</c> too, which Unicode calls
    /// symbols) and every code point whose category starts with P.
    /// </summary>
    public static bool IsPunctuation(int codePoint) =>
        codePoint < 0x80
            ? IsAsciiPunctuation((char)codePoint)
            : CharUnicodeInfo.GetUnicodeCategory(codePoint) is >= UnicodeCategory.ConnectorPunctuation and <= UnicodeCategory.OtherPunctuation;

    /// <summary>A code point of the CJK ideograph blocks HF puts spaces around (not Hangul, Hiragana or Katakana).</summary>
    public static bool IsChineseChar(int codePoint) =>
        codePoint is (>= 0x4E00 and <= 0x9FFF)
            or (>= 0x3400 and <= 0x4DBF)
            or (>= 0x20000 and <= 0x2A6DF)
            or (>= 0x2A700 and <= 0x2B73F)
            or (>= 0x2B740 and <= 0x2B81F)
            or (>= 0x2B820 and <= 0x2CEAF)
            or (>= 0xF900 and <= 0xFAFF)
            or (>= 0x2F800 and <= 0x2FA1F);

    /// <summary><see cref="IsPunctuation"/> for an ASCII character: 33–47, 58–64, 91–96 or 123–126.</summary>
    public static bool IsAsciiPunctuation(char c) =>
        c is (>= '!' and <= '/') or (>= ':' and <= '@') or (>= '[' and <= '`') or (>= '{' and <= '~');

    /// <summary>Whether a category is one of Cc, Cf, Cs, Co, Cn.</summary>
    public static bool IsOtherCategory(UnicodeCategory category) =>
        category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
            or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
}
