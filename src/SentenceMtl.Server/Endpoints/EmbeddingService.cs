using Microsoft.Extensions.Options;
using SentenceMtl.Server.Batching;
using SentenceMtl.Server.Hosting;

namespace SentenceMtl.Server.Endpoints;

/// <summary>What <c>/v1/embeddings</c> and <c>/embed</c> share: checks of the settings, token counts, the queue.</summary>
internal sealed class EmbeddingService(ModelHost models, BatchingQueue queue, ServerMetrics metrics, IOptions<ServerOptions> options)
{
    /// <summary>One vector per text and the texts' token count.</summary>
    /// <param name="context">The request (its admission time and cancellation).</param>
    /// <param name="texts">The texts (already within the request limits).</param>
    /// <param name="settings">Normalization and dimensions.</param>
    /// <param name="truncate">Whether a text over the model's maximum length is cut to it; false refuses it (413).</param>
    /// <param name="route">The endpoint, for the metrics.</param>
    /// <exception cref="ApiException">The model is loading or the server busy (503), a setting is out of range (400), a
    /// text or the request too long (413).</exception>
    public async Task<(float[][] Vectors, int Tokens)> EmbedAsync(HttpContext context, string[] texts, EmbeddingSettings settings,
        bool truncate, string route)
    {
        var encoder = models.RequireEncoder();
        if (settings.Dimensions is { } dimensions && (dimensions < 1 || dimensions > encoder.Dimension))
        {
            throw ApiException.BadRequest(
                $"'dimensions' is {dimensions}; the model '{models.Names!.Primary}' has {encoder.Dimension}: ask for 1 to {encoder.Dimension}.",
                "dimensions");
        }

        var encodeOptions = settings.ToEncodeOptions();
        bool tei = route == "/embed";
        var ids = TokenCounter.Tokenize(encoder, texts, encodeOptions, tei ? "inputs" : "input", options.Value, refuseTruncation: !truncate,
            tei ? "send \"truncate\": true" : TokenCounter.AutoTruncateHint);
        int total = ids.Sum(sequence => sequence.Length);
        metrics.Tokens(route, total);
        var vectors = await queue.EmbedAsync(ids, encodeOptions, Admission.AdmittedAt(context), context.RequestAborted);
        return (vectors, total);
    }
}
