using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SentenceMtl.Server.Endpoints;

/// <summary>The JSON settings of every request and response: snake_case names as in OpenAI's and TEI's APIs; nulls written
/// (OpenAI's error body has <c>"param": null</c>); floats in their shortest round-trip form, so vectors arrive bit-exact.</summary>
internal static class WireJson
{
    /// <summary>Deepest nesting a request may have; the APIs need three levels.</summary>
    private const int MaxDepth = 16;

    /// <summary>The shared options.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        MaxDepth = MaxDepth,
        // The responses are JSON documents, never embedded in HTML: quotes and apostrophes in messages stay readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
