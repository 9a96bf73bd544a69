using SentenceMtl.Tokenization;

namespace SentenceMtl;

public sealed partial class SentenceEncoder
{
    /// <summary>
    /// The tokens of <paramref name="text"/> as the model's tokenizer splits it, each with where it comes from in the text
    /// (text-embeddings-inference's <c>/tokenize</c>). Not truncated: the model sees the first
    /// <see cref="MaxSequenceLength"/> tokens, <c>[CLS]</c> and <c>[SEP]</c> included. The ids are those of
    /// <see cref="Tokenize"/> up to its truncation.
    /// </summary>
    /// <remarks>
    /// <see cref="TextToken.Start"/> and <see cref="TextToken.End"/> are UTF-16 offsets into <paramref name="text"/>: a
    /// word's pieces split its characters, an accented or upper-case character counts as the one it becomes. A token that
    /// cannot be placed exactly is given none rather than a wrong one: an <c>[UNK]</c> (its word is not in the vocabulary)
    /// and the rare word whose normalization depends on its neighbours (a final sigma).
    /// </remarks>
    /// <param name="text">The text.</param>
    /// <param name="addSpecialTokens">Whether <c>[CLS]</c> and <c>[SEP]</c> are added around the text's tokens.</param>
    /// <exception cref="ObjectDisposedException">The encoder was disposed.</exception>
    public IReadOnlyList<TextToken> TokenizeWithOffsets(string text, bool addSpecialTokens = true)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(text);
        var ids = tokenizer.Ids(source.LowerCaseInput ? PythonCasing.ToLower(text) : text);
        var pieces = tokenizer.ConvertIdsToTokens(ids);
        // The original text is folded, so that the offsets point into it even where lower-casing changed its length.
        var offsets = new TokenAligner(text, tokenizer.Basic, source.LowerCaseInput).Align(pieces);
        var tokens = new List<TextToken>(ids.Count + 2);
        if (addSpecialTokens)
        {
            tokens.Add(Special(tokenizer.ClsTokenId));
        }

        for (int i = 0; i < ids.Count; i++)
        {
            tokens.Add(new TextToken(ids[i], pieces[i], false, offsets[i].Start, offsets[i].End));
        }

        if (addSpecialTokens)
        {
            tokens.Add(Special(tokenizer.SepTokenId));
        }

        return tokens;
    }

    private TextToken Special(int id) => new(id, tokenizer.ConvertIdsToTokens([id])[0], true, null, null);
}
