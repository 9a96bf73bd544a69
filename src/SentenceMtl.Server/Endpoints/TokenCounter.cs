namespace SentenceMtl.Server.Endpoints;

/// <summary>Tokenizes a request before it is queued, once: the ids are what the batch embeds, and their counts are each
/// text's share of a batch and the request's total against <see cref="ServerOptions.MaxRequestTokens"/>.</summary>
internal static class TokenCounter
{
    /// <summary>How truncation is allowed where the request has no field for it.</summary>
    public const string AutoTruncateHint = "start the server with SentenceMtl:AutoTruncate=true (--SentenceMtl:AutoTruncate true)";

    /// <summary>Each text's token ids, <c>[CLS]</c> and <c>[SEP]</c> included, as <see cref="SentenceEncoder.Encode(IEnumerable{string}, EncodeOptions?, CancellationToken)"/>
    /// tokenizes them with <paramref name="encodeOptions"/> (its prompt, if any, first).</summary>
    /// <param name="encoder">The encoder whose tokenizer and maximum length apply.</param>
    /// <param name="texts">The texts.</param>
    /// <param name="encodeOptions">The options the ids will be embedded with.</param>
    /// <param name="param">The request field, for the messages.</param>
    /// <param name="options">The per-request token cap.</param>
    /// <param name="refuseTruncation">When true, a text that reaches the model's maximum length is refused instead of truncated.</param>
    /// <param name="allowTruncation">How the client lets the server truncate, for the refusal's message.</param>
    /// <exception cref="ApiException">413: the request is over the token cap, or a text too long when truncation is refused.</exception>
    public static int[][] Tokenize(SentenceEncoder encoder, IReadOnlyList<string> texts, EncodeOptions encodeOptions, string param,
        ServerOptions options, bool refuseTruncation, string allowTruncation = AutoTruncateHint)
    {
        var ids = new int[texts.Count][];
        long total = 0;
        int max = encoder.MaxSequenceLength;
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = encoder.TokenizeForEncode(texts[i], encodeOptions);
            // Tokenize stops at the maximum, so a text that reaches it may have been cut: refused when asked to.
            if (refuseTruncation && ids[i].Length >= max)
            {
                throw ApiException.TooLarge(
                    $"'{param}[{i}]' has {max} tokens or more, the model's maximum ({max}); shorten it, or {allowTruncation} " +
                    $"to embed its first {max} tokens.", param);
            }

            total += ids[i].Length;
            // Checked as it grows: counting the rest of a request already refused would waste the server's time.
            if (total > options.MaxRequestTokens)
            {
                throw ApiException.TooLarge(
                    $"'{param}' has more than {options.MaxRequestTokens} tokens (reached at '{param}[{i}]'); the server accepts at " +
                    $"most {options.MaxRequestTokens} tokens per request (SentenceMtl:MaxRequestTokens). Split it into smaller requests.",
                    param);
            }
        }

        return ids;
    }
}
