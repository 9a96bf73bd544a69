using SentenceMtl.Server.Batching;
using SentenceMtl.Server.Hosting;

namespace SentenceMtl.Server.Endpoints;

/// <summary>What <c>/v1/embeddings</c> and <c>/embed</c> share: checks of the settings, token counts, the queue.</summary>
internal sealed class EmbeddingService(ModelHost models, BatchingQueue queue, ServerMetrics metrics)
{
    /// <summary>One vector per text and the texts' token count.</summary>
    /// <param name="texts">The texts (already within the request limits).</param>
    /// <param name="settings">Normalization and dimensions.</param>
    /// <param name="refuseTruncation">When true, a text that reaches the model's maximum length is refused (413) instead of truncated.</param>
    /// <param name="route">The endpoint, for the metrics.</param>
    /// <param name="cancellationToken">The request's cancellation.</param>
    /// <exception cref="ApiException">The model is loading (503), a setting is out of range (400), a text too long (413).</exception>
    public async Task<(float[][] Vectors, int Tokens)> EmbedAsync(string[] texts, EmbeddingSettings settings,
        bool refuseTruncation, string route, CancellationToken cancellationToken)
    {
        var encoder = models.RequireEncoder();
        if (settings.Dimensions is { } dimensions && (dimensions < 1 || dimensions > encoder.Dimension))
        {
            throw ApiException.BadRequest(
                $"'dimensions' is {dimensions}; the model '{models.Names!.Primary}' has {encoder.Dimension}: ask for 1 to {encoder.Dimension}.",
                "dimensions");
        }

        int tokens = CountTokens(encoder, texts, refuseTruncation);
        metrics.Tokens(route, tokens);
        var vectors = await queue.EmbedAsync(texts, tokens, settings, cancellationToken);
        return (vectors, tokens);
    }

    /// <summary>The texts' token count, <c>[CLS]</c> and <c>[SEP]</c> included (as <see cref="SentenceEncoder.Tokenize"/>).</summary>
    private static int CountTokens(SentenceEncoder encoder, string[] texts, bool refuseTruncation)
    {
        int total = 0;
        int max = encoder.MaxSequenceLength;
        for (int i = 0; i < texts.Length; i++)
        {
            int count = encoder.Tokenize(texts[i]).Length;
            // Tokenize stops at the maximum, so a text that reaches it may have been cut: refused when asked to.
            if (refuseTruncation && count >= max)
            {
                throw ApiException.TooLarge(
                    $"'inputs[{i}]' has {max} tokens or more, the model's maximum ({max}); shorten it, or send \"truncate\": true " +
                    $"to embed its first {max} tokens.", "inputs");
            }

            total += count;
        }

        return total;
    }
}
