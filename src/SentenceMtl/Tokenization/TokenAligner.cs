using System.Text;

namespace SentenceMtl.Tokenization;

/// <summary>
/// Places WordPiece tokens in the text they came from. The text is folded one code point at a time by the tokenizer's
/// own normalization (<see cref="BasicTokenizer"/>: cleaning, lower-casing, accent stripping), each folded character
/// remembering the code point it came from; the tokens are then matched in order against that folded text, a word's
/// first piece after any whitespace, its <c>##</c> pieces right after the previous piece. A token that does not match
/// where it must (an <c>[UNK]</c>, or a word whose normalization joins characters, such as a final sigma) gets no
/// offsets, and matching resumes at the next word; so a token is placed correctly or not at all, never elsewhere.
/// </summary>
internal sealed class TokenAligner
{
    private readonly StringBuilder folded = new();
    private readonly List<int> starts = [];
    private readonly List<int> ends = [];

    /// <summary>Folds <paramref name="text"/>: every code point through <paramref name="basic"/> (after
    /// <paramref name="lowerCaseInput"/>'s lower-casing), whitespace kept as single spaces, dropped characters omitted
    /// (their span joins the kept character before them).</summary>
    public TokenAligner(string text, BasicTokenizer basic, bool lowerCaseInput)
    {
        var words = new List<string>(2);
        for (int i = 0; i < text.Length;)
        {
            int width = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            string codePoint = text.Substring(i, width);
            words.Clear();
            basic.Tokenize(lowerCaseInput ? PythonCasing.ToLower(codePoint) : codePoint, words, int.MaxValue);
            if (words.Count == 0 && char.IsWhiteSpace(text, i))
            {
                words.Add(" ");
            }
            else if (words.Count == 0 && ends.Count > 0 && ends[^1] == i && folded[^1] != ' ')
            {
                // A stripped accent (a combining mark) or a dropped control character right after a kept character
                // belongs to that character: a token ending there covers it.
                ends[^1] = i + width;
            }

            foreach (char c in words.SelectMany(word => word))
            {
                folded.Append(c);
                starts.Add(i);
                ends.Add(i + width);
            }

            i += width;
        }
    }

    /// <summary>The offsets of each of <paramref name="tokens"/> (WordPiece tokens, in order, none added), or null where
    /// a token cannot be placed.</summary>
    public (int? Start, int? End)[] Align(IReadOnlyList<string> tokens)
    {
        var offsets = new (int? Start, int? End)[tokens.Count];
        int cursor = 0;
        for (int t = 0; t < tokens.Count; t++)
        {
            string token = tokens[t];
            bool continues = token.StartsWith("##", StringComparison.Ordinal) && token.Length > 2;
            string piece = continues ? token[2..] : token;
            if (!continues)
            {
                cursor = SkipSpaces(cursor);
            }

            if (cursor + piece.Length <= folded.Length
                && string.Compare(folded.ToString(cursor, piece.Length), piece, StringComparison.OrdinalIgnoreCase) == 0)
            {
                offsets[t] = (starts[cursor], ends[cursor + piece.Length - 1]);
                cursor += piece.Length;
            }
            else
            {
                // Resume at the next word, unless the next token continues this one (then it cannot be placed either).
                cursor = NextWord(cursor);
            }
        }

        return offsets;
    }

    private int SkipSpaces(int cursor)
    {
        while (cursor < folded.Length && folded[cursor] == ' ')
        {
            cursor++;
        }

        return cursor;
    }

    /// <summary>Past the rest of the word at <paramref name="cursor"/>: to the next space or punctuation character.</summary>
    private int NextWord(int cursor)
    {
        cursor = SkipSpaces(cursor);
        // Punctuation and CJK ideographs are words of one character each.
        if (cursor < folded.Length && (BertCharacterClasses.IsPunctuation(folded[cursor]) || BertCharacterClasses.IsChineseChar(folded[cursor])))
        {
            return cursor + 1;
        }

        while (cursor < folded.Length && folded[cursor] != ' ' && !BertCharacterClasses.IsPunctuation(folded[cursor]))
        {
            cursor++;
        }

        return cursor;
    }
}
