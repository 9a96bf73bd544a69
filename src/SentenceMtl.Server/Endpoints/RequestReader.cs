using System.Text.Json;
using SentenceMtl.Server.Batching;

namespace SentenceMtl.Server.Endpoints;

/// <summary>
/// Reads a request's JSON body and its texts, refusing with a clear <see cref="ApiException"/> what does not fit: a
/// body over the size limit (413), malformed JSON or a value of the wrong type (400), no texts, too many texts (400),
/// a text too long (413), token arrays (400: this server takes text), text that is not Unicode (400: invalid UTF-8 or an
/// unpaired surrogate, raw or escaped), and a body that is not <c>application/json</c> (415).
/// </summary>
internal static class RequestReader
{
    /// <summary>The body as <typeparamref name="T"/>.</summary>
    /// <exception cref="ApiException">Not JSON by its content type (415), too large, not JSON, or not of the expected shape.</exception>
    public static async Task<T> ReadAsync<T>(HttpContext context, ServerOptions options) where T : class
    {
        // A web page can POST text/plain or a form cross-origin without a preflight; only JSON bodies are read.
        if (!context.Request.HasJsonContentType())
        {
            throw new ApiException(StatusCodes.Status415UnsupportedMediaType,
                $"The request body must be JSON: send the header 'Content-Type: application/json' (got " +
                $"'{context.Request.ContentType ?? "none"}').", null, "unsupported_media_type");
        }

        if (context.Request.ContentLength > options.MaxRequestBodyBytes)
        {
            throw ApiException.TooLarge(
                $"The request body ({context.Request.ContentLength} bytes) is larger than the server accepts " +
                $"({options.MaxRequestBodyBytes} bytes, SentenceMtl:MaxRequestBodyBytes); send fewer or shorter inputs.");
        }

        // Reserved before the body is read, so that the bodies held at once are bounded in total (429/503 past it).
        await context.RequestServices.GetRequiredService<Admission>().AdmitRequestAsync(context);
        try
        {
            byte[] body = await ReadBodyAsync(context);
            return JsonSerializer.Deserialize<T>(body, WireJson.Options)
                ?? throw ApiException.BadRequest("The request body is JSON null; send a JSON object.");
        }
        catch (EndOfStreamException)
        {
            throw ApiException.BadRequest("The request body ended before its Content-Length; send the whole body.");
        }
        catch (JsonException e)
        {
            string where = e.Path is { Length: > 0 } path ? $" at {path}" : "";
            string? param = e.Path is { Length: > 2 } field && field.StartsWith("$.", StringComparison.Ordinal) ? field[2..] : null;
            // A string field whose text cannot be decoded: the reader's InvalidOperationException, wrapped by the serializer.
            if (e.InnerException is InvalidOperationException)
            {
                throw ApiException.BadRequest($"The request body{where} is not valid text: {NotUnicode}", param);
            }

            // The converter's message names internal types: a wrong type is said in the client's terms instead.
            string reason = e.Message.Contains("could not be converted", StringComparison.Ordinal)
                ? "the value has the wrong type (see the endpoint's documentation)."
                : FirstSentence(e.Message);
            throw ApiException.BadRequest($"The request body is not valid JSON for this endpoint{where}: {reason}", param);
        }
    }

    /// <summary>
    /// The whole body, in an array of its own: exactly its <c>Content-Length</c>, or grown as a chunked body arrives.
    /// Not the serializer's stream reading, whose buffers double up to the body's size and come from the shared array
    /// pool, which kept hundreds of MiB of them after a burst of 8 MiB bodies; an array of our own is freed by the next
    /// full collection.
    /// </summary>
    private static async Task<byte[]> ReadBodyAsync(HttpContext context)
    {
        if (context.Request.ContentLength is { } length)
        {
            var body = new byte[length];
            await context.Request.Body.ReadExactlyAsync(body, context.RequestAborted);
            return body;
        }

        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        return buffer.ToArray();
    }

    /// <summary>Why a string cannot be decoded, and the fix.</summary>
    private const string NotUnicode =
        "it holds invalid UTF-8 or an unpaired UTF-16 surrogate (such as a lone \\ud83d escape); send well-formed UTF-8 text.";

    /// <summary>
    /// The texts of <paramref name="input"/>: a string, or a non-empty array of strings, within the configured limits.
    /// </summary>
    /// <param name="input">The request's field (null when missing).</param>
    /// <param name="param">The field's name, for the messages (<c>"input"</c> or <c>"inputs"</c>).</param>
    /// <param name="options">The limits.</param>
    /// <exception cref="ApiException">The field is missing, of the wrong type, empty, not valid text, or over a limit.</exception>
    public static string[] Texts(TextInput? input, string param, ServerOptions options)
    {
        if (input is null || input.WrongKind == JsonTokenType.Null)
        {
            throw ApiException.BadRequest($"'{param}' is required: a string or an array of strings.", param);
        }

        if (input.WrongKind is { } kind)
        {
            throw ApiException.BadRequest($"'{param}' must be a string or an array of strings, not {Kind(kind)}.", param);
        }

        CheckArray(input, param, options);
        var texts = input.Texts.ToArray();
        for (int i = 0; i < texts.Length; i++)
        {
            if (texts[i].Length > options.MaxInputCharacters)
            {
                throw ApiException.TooLarge(
                    $"'{param}[{i}]' has {texts[i].Length} characters; the server accepts at most {options.MaxInputCharacters} " +
                    "per text (SentenceMtl:MaxInputCharacters). Split or shorten it.", param);
            }
        }

        return texts;
    }

    private static void CheckArray(TextInput input, string param, ServerOptions options)
    {
        string name = input.IsString ? param : $"{param}[{input.BadIndex}]";
        if (!input.IsString && input.Count == 0)
        {
            throw ApiException.BadRequest($"'{param}' is an empty array; send at least one string.", param);
        }

        if (input.Count > options.MaxInputsPerRequest)
        {
            throw ApiException.BadRequest(
                $"'{param}' has {input.Count} texts; the server accepts at most {options.MaxInputsPerRequest} per request " +
                "(SentenceMtl:MaxInputsPerRequest). Split the request.", param);
        }

        if (input.BadIndex >= 0)
        {
            throw input.BadKind switch
            {
                JsonTokenType.String => ApiException.BadRequest($"'{name}' is not valid text: {NotUnicode}", param),
                JsonTokenType.Number or JsonTokenType.StartArray => ApiException.BadRequest(
                    $"'{name}' is {Kind(input.BadKind)}: token arrays are not supported, this server tokenizes itself; send the text.", param),
                _ => ApiException.BadRequest($"'{name}' must be a string, not {Kind(input.BadKind)}.", param),
            };
        }
    }

    private static string Kind(JsonTokenType kind) => kind switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        _ => "null",
    };

    private static string FirstSentence(string message)
    {
        int end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message : message[..(end + 1)];
    }
}
