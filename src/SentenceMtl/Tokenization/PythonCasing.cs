using System.Globalization;
using System.Text;

namespace SentenceMtl.Tokenization;

/// <summary>
/// Python's <c>str.lower()</c>, which HF's BERT tokenizer applies to every word. It is .NET's invariant simple
/// lower-casing plus the two rules of Unicode full case mapping that Python (and Rust, for the fast tokenizer)
/// apply and .NET does not: U+0130 'İ' becomes "i\u0307", and a capital sigma at the end of a word becomes 'ς'.
/// </summary>
internal static class PythonCasing
{
    private const char CapitalDottedI = '\u0130';
    private const char CapitalSigma = '\u03A3';

    /// <summary>Lower-cases <paramref name="text"/> as Python does; returns the same instance when nothing changes.</summary>
    public static string ToLower(string text)
    {
        int first = 0;
        while (first < text.Length && !MayChange(text[first]))
        {
            first++;
        }

        if (first == text.Length)
        {
            return text;
        }

        var lowered = new StringBuilder(text.Length + 1);
        lowered.Append(text, 0, first);
        Span<char> pair = stackalloc char[2];
        for (int i = first; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                Rune rune = Rune.ToLowerInvariant(new Rune(c, text[i + 1]));
                lowered.Append(pair[..rune.EncodeToUtf16(pair)]);
                i++;
            }
            else if (c == CapitalDottedI)
            {
                lowered.Append("i\u0307");
            }
            else if (c == CapitalSigma)
            {
                lowered.Append(IsFinalSigma(text, i) ? '\u03C2' : '\u03C3');
            }
            else
            {
                lowered.Append(char.ToLowerInvariant(c));
            }
        }

        return lowered.ToString();
    }

    private static bool MayChange(char c) =>
        char.IsSurrogate(c) || c == CapitalDottedI || char.ToLowerInvariant(c) != c;

    /// <summary>
    /// Unicode's Final_Sigma condition as CPython tests it: a cased letter before the sigma (case-ignorable
    /// characters skipped) and none after it.
    /// </summary>
    private static bool IsFinalSigma(string text, int index)
    {
        bool casedBefore = false;
        int before = index;
        while (before > 0)
        {
            Rune.DecodeLastFromUtf16(text.AsSpan(0, before), out Rune rune, out int length);
            before -= length;
            if (!IsCaseIgnorable(rune.Value))
            {
                casedBefore = IsCased(rune.Value);
                break;
            }
        }

        if (!casedBefore)
        {
            return false;
        }

        int after = index + 1;
        while (after < text.Length)
        {
            Rune.DecodeFromUtf16(text.AsSpan(after), out Rune rune, out int length);
            after += length;
            if (!IsCaseIgnorable(rune.Value))
            {
                return !IsCased(rune.Value);
            }
        }

        return true;
    }

    // Cased: Lu, Ll, Lt, plus the Other_Uppercase/Other_Lowercase symbols that are not case-ignorable
    // (Roman numerals, circled and squared Latin letters). Modifier letters are case-ignorable and skipped first.
    private static bool IsCased(int codePoint) =>
        CharUnicodeInfo.GetUnicodeCategory(codePoint) is UnicodeCategory.UppercaseLetter
            or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
        || codePoint is 0xAA or 0xBA or (>= 0x2160 and <= 0x217F) or (>= 0x24B6 and <= 0x24E9)
            or (>= 0x1F130 and <= 0x1F149) or (>= 0x1F150 and <= 0x1F169) or (>= 0x1F170 and <= 0x1F189);

    // Case_Ignorable: Mn, Me, Cf, Lm, Sk, and Word_Break MidLetter, MidNumLet and Single_Quote.
    private static bool IsCaseIgnorable(int codePoint) =>
        CharUnicodeInfo.GetUnicodeCategory(codePoint) is UnicodeCategory.NonSpacingMark
            or UnicodeCategory.EnclosingMark or UnicodeCategory.Format
            or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol
        || codePoint is '\'' or '.' or ':' or 0xB7 or 0x387 or 0x55F or 0x5F4 or 0x2018 or 0x2019 or 0x2024
            or 0x2027 or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A;
}
