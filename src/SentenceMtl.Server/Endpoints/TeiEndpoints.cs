using Microsoft.Extensions.Options;
using SentenceMtl.Server.Batching;

namespace SentenceMtl.Server.Endpoints;

/// <summary>
/// Hugging Face text-embeddings-inference's <c>POST /embed</c>: <c>inputs</c> (string or string array), <c>normalize</c>
/// (default true), <c>truncate</c> (default <see cref="ServerOptions.AutoTruncate"/>, false unless set: a text that
/// reaches the model's maximum length is refused with 413, as TEI does), <c>dimensions</c>; the answer is an array of vectors.
/// </summary>
internal static class TeiEndpoints
{
    /// <summary>Adds the route.</summary>
    public static void Map(IEndpointRouteBuilder app) => app.MapPost("/embed", EmbedAsync);

    /// <summary>The request body.</summary>
    internal sealed record EmbedRequest(TextInput? Inputs, bool? Normalize, bool? Truncate, int? Dimensions);

    private static async Task<IResult> EmbedAsync(HttpContext context, EmbeddingService embeddings, IOptions<ServerOptions> options)
    {
        var request = await RequestReader.ReadAsync<EmbedRequest>(context, options.Value);
        var texts = RequestReader.Texts(request.Inputs, "inputs", options.Value);
        var settings = new EmbeddingSettings(request.Normalize ?? true, request.Dimensions);
        var (vectors, _) = await embeddings.EmbedAsync(context, texts, settings, request.Truncate ?? options.Value.AutoTruncate, "/embed");
        return Results.Json(vectors, WireJson.Options);
    }
}
