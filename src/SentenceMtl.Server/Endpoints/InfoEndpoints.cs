using System.Text.Json;
using Microsoft.Extensions.Options;
using SentenceMtl.Server.Hosting;

namespace SentenceMtl.Server.Endpoints;

/// <summary>
/// text-embeddings-inference's <c>GET /info</c>: the served model (TEI's <c>model_id</c>, <c>model_type</c>,
/// <c>max_input_length</c>, plus its dimension, pooling and quantization), the server's limits under TEI's names where
/// TEI has them (<c>max_batch_tokens</c>, <c>max_concurrent_requests</c>, <c>max_client_batch_size</c>,
/// <c>auto_truncate</c>) and <c>max_request_tokens</c>, and the classifier (name, tasks and labels) when one is loaded.
/// </summary>
internal static class InfoEndpoints
{
    /// <summary>Adds the route.</summary>
    public static void Map(IEndpointRouteBuilder app) => app.MapGet("/info", Info);

    private static IResult Info(ModelHost models, IOptions<ServerOptions> options)
    {
        var encoder = models.RequireEncoder();
        var settings = options.Value;
        string pooling = JsonNamingPolicy.SnakeCaseLower.ConvertName(encoder.Pooling.ToString());
        var classifier = models.ClassifierInfo is { } info ? new ClassifierData(info.Name, info.Tasks, info.ServesEmbeddings) : null;
        var body = new InfoBody(
            ModelId: models.Names!.Primary,
            ModelType: new ModelType(new EmbeddingType(pooling)),
            Dimension: encoder.Dimension,
            MaxInputLength: encoder.MaxSequenceLength,
            Pooling: pooling,
            Quantization: JsonNamingPolicy.SnakeCaseLower.ConvertName(settings.Quantization.ToString()),
            MaxBatchTokens: settings.MaxBatchTokens,
            MaxConcurrentRequests: settings.MaxConcurrentRequests,
            MaxClientBatchSize: settings.MaxInputsPerRequest,
            MaxRequestTokens: settings.MaxRequestTokens,
            AutoTruncate: settings.AutoTruncate,
            Classifier: classifier);
        return Results.Json(body, WireJson.Options);
    }

    /// <summary>The answer (snake_case on the wire).</summary>
    internal sealed record InfoBody(string ModelId, ModelType ModelType, int Dimension, int MaxInputLength, string Pooling,
        string Quantization, int MaxBatchTokens, int MaxConcurrentRequests, int MaxClientBatchSize, int MaxRequestTokens,
        bool AutoTruncate, ClassifierData? Classifier);

    /// <summary>TEI's <c>model_type</c>: <c>{"embedding": {"pooling": "mean"}}</c>.</summary>
    internal sealed record ModelType(EmbeddingType Embedding);

    /// <summary>The pooling of an embedding model.</summary>
    internal sealed record EmbeddingType(string Pooling);

    /// <summary>The classifier: its name, each task's labels, whether its encoder serves the embeddings.</summary>
    internal sealed record ClassifierData(string Name, IReadOnlyDictionary<string, IReadOnlyList<string>> Tasks, bool SharesEncoder);
}
