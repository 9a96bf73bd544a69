using System.Buffers.Binary;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using SentenceMtl.Server.Batching;
using SentenceMtl.Server.Hosting;

namespace SentenceMtl.Server.Endpoints;

/// <summary>
/// OpenAI's embeddings API: <c>POST /v1/embeddings</c> and <c>GET /v1/models</c>, as the official clients
/// (OpenAI SDKs, Microsoft.Extensions.AI, Semantic Kernel, LangChain) call them.
/// </summary>
internal static class OpenAiEndpoints
{
    /// <summary>Adds the two routes.</summary>
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/embeddings", EmbeddingsAsync);
        app.MapGet("/v1/models", Models);
    }

    /// <summary>The request body: <c>input</c> (string or string array), <c>model</c> (optional: the server serves one
    /// embedding model; another name is 404), <c>encoding_format</c> (<c>float</c> or <c>base64</c>), <c>dimensions</c>;
    /// <c>user</c> is accepted and ignored. OpenAI's API has no truncation field: a text over the model's maximum length
    /// is cut when <see cref="ServerOptions.AutoTruncate"/> is set, refused with 413 otherwise.</summary>
    internal sealed record EmbeddingsRequest(TextInput? Input, string? Model, string? EncodingFormat, int? Dimensions, string? User);

    private static async Task<IResult> EmbeddingsAsync(HttpContext context, ModelHost models, EmbeddingService embeddings,
        IOptions<ServerOptions> options)
    {
        var request = await RequestReader.ReadAsync<EmbeddingsRequest>(context, options.Value);
        var texts = RequestReader.Texts(request.Input, "input", options.Value);
        models.RequireEncoder();
        var names = models.Names!;
        // Optional, as text-embeddings-inference allows: the server has one embedding model.
        if (!string.IsNullOrEmpty(request.Model) && !names.Accepts(request.Model))
        {
            throw new ApiException(StatusCodes.Status404NotFound,
                $"The model '{request.Model}' does not exist on this server; it serves '{names.Primary}' (GET /v1/models).",
                "model", "model_not_found");
        }

        bool base64 = request.EncodingFormat switch
        {
            null or "float" => false,
            "base64" => true,
            _ => throw ApiException.BadRequest(
                $"'encoding_format' is '{request.EncodingFormat}'; it must be 'float' or 'base64'.", "encoding_format"),
        };
        // With dimensions: the first N values, renormalized (OpenAI's vectors are unit length).
        var settings = new EmbeddingSettings(request.Dimensions is null ? null : true, request.Dimensions);
        var (vectors, tokens) = await embeddings.EmbedAsync(context, texts, settings, options.Value.AutoTruncate, "/v1/embeddings");
        var data = vectors.Select((vector, i) => new EmbeddingData("embedding", i, base64 ? Base64(vector) : vector)).ToArray();
        return Results.Json(new EmbeddingsResponse("list", data, names.Primary, new Usage(tokens, tokens)), WireJson.Options);
    }

    /// <summary>
    /// The embedding model, and the classifier: its tasks and labels in an extra <c>tasks</c> field (OpenAI's clients keep
    /// fields they do not know), on the embedding model's entry when the classifier's encoder serves the embeddings (one
    /// model), else on an entry of its own named after its folder.
    /// </summary>
    private static IResult Models(ModelHost models)
    {
        models.RequireEncoder();
        var classifier = models.ClassifierInfo;
        var embedding = new ModelData(models.Names!.Primary, "model", StartedAt, "sentencemtl",
            classifier is { ServesEmbeddings: true } ? classifier.Tasks : null);
        ModelData[] data = classifier is { ServesEmbeddings: false }
            ? [embedding, new ModelData(classifier.Name, "model", StartedAt, "sentencemtl", classifier.Tasks)]
            : [embedding];
        return Results.Json(new ModelList("list", data), WireJson.Options);
    }

    private static readonly long StartedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>The vector as OpenAI's base64 encoding: little-endian float32 bytes.</summary>
    internal static string Base64(float[] vector)
    {
        var bytes = new byte[vector.Length * sizeof(float)];
        for (int i = 0; i < vector.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), vector[i]);
        }

        return Convert.ToBase64String(bytes);
    }

    private sealed record EmbeddingsResponse(string Object, EmbeddingData[] Data, string Model, Usage Usage);

    private sealed record EmbeddingData(string Object, int Index, object Embedding);

    private sealed record Usage(int PromptTokens, int TotalTokens);

    private sealed record ModelList(string Object, ModelData[] Data);

    private sealed record ModelData(string Id, string Object, long Created, string OwnedBy,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, IReadOnlyList<string>>? Tasks);
}
