namespace SentenceMtl.Server.Endpoints;

/// <summary>Counts a request's tokens before it is queued: each text's share of a batch, and the request's total
/// against <see cref="ServerOptions.MaxRequestTokens"/>.</summary>
internal static class TokenCounter
{
    /// <summary>How truncation is allowed where the request has no field for it.</summary>
    public const string AutoTruncateHint = "start the server with SentenceMtl:AutoTruncate=true (--SentenceMtl:AutoTruncate true)";

    /// <summary>Each text's token count, <c>[CLS]</c> and <c>[SEP]</c> included (as <see cref="SentenceEncoder.Tokenize"/>).</summary>
    /// <param name="encoder">The encoder whose tokenizer and maximum length apply.</param>
    /// <param name="texts">The texts.</param>
    /// <param name="param">The request field, for the messages.</param>
    /// <param name="options">The per-request token cap.</param>
    /// <param name="refuseTruncation">When true, a text that reaches the model's maximum length is refused instead of truncated.</param>
    /// <param name="allowTruncation">How the client lets the server truncate, for the refusal's message.</param>
    /// <exception cref="ApiException">413: the request is over the token cap, or a text too long when truncation is refused.</exception>
    public static int[] Count(SentenceEncoder encoder, IReadOnlyList<string> texts, string param, ServerOptions options, bool refuseTruncation,
        string allowTruncation = AutoTruncateHint)
    {
        var counts = new int[texts.Count];
        long total = 0;
        int max = encoder.MaxSequenceLength;
        for (int i = 0; i < counts.Length; i++)
        {
            counts[i] = encoder.Tokenize(texts[i]).Length;
            // Tokenize stops at the maximum, so a text that reaches it may have been cut: refused when asked to.
            if (refuseTruncation && counts[i] >= max)
            {
                throw ApiException.TooLarge(
                    $"'{param}[{i}]' has {max} tokens or more, the model's maximum ({max}); shorten it, or {allowTruncation} " +
                    $"to embed its first {max} tokens.", param);
            }

            total += counts[i];
            // Checked as it grows: counting the rest of a request already refused would waste the server's time.
            if (total > options.MaxRequestTokens)
            {
                throw ApiException.TooLarge(
                    $"'{param}' has more than {options.MaxRequestTokens} tokens (reached at '{param}[{i}]'); the server accepts at " +
                    $"most {options.MaxRequestTokens} tokens per request (SentenceMtl:MaxRequestTokens). Split it into smaller requests.",
                    param);
            }
        }

        return counts;
    }
}
