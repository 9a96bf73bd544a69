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
            return await JsonSerializer.DeserializeAsync<T>(context.Request.Body, WireJson.Options, context.RequestAborted)
                ?? throw ApiException.BadRequest("The request body is JSON null; send a JSON object.");
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

    /// <summary>Why a string cannot be decoded, and the fix.</summary>
    private const string NotUnicode =
        "it holds invalid UTF-8 or an unpaired UTF-16 surrogate (such as a lone \\ud83d escape); send well-formed UTF-8 text.";

    /// <summary>The string <paramref name="element"/> holds; 400 naming <paramref name="name"/> when it is not Unicode.</summary>
    private static string Text(JsonElement element, string name)
    {
        try
        {
            return element.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // GetString throws this for invalid UTF-8 bytes and for escapes that leave a surrogate unpaired.
            throw ApiException.BadRequest($"'{name}' is not valid text: {NotUnicode}", ParamOf(name));
        }
    }

    private static string ParamOf(string name) => name.IndexOf('[', StringComparison.Ordinal) is var i and >= 0 ? name[..i] : name;

    /// <summary>
    /// The texts of <paramref name="input"/>: a string, or a non-empty array of strings, within the configured limits.
    /// </summary>
    /// <param name="input">The request's field.</param>
    /// <param name="param">The field's name, for the messages (<c>"input"</c> or <c>"inputs"</c>).</param>
    /// <param name="options">The limits.</param>
    /// <exception cref="ApiException">The field is missing, of the wrong type, empty, or over a limit.</exception>
    public static string[] Texts(JsonElement input, string param, ServerOptions options)
    {
        string[] texts = input.ValueKind switch
        {
            JsonValueKind.String => [Text(input, param)],
            JsonValueKind.Array => ArrayTexts(input, param, options),
            JsonValueKind.Undefined or JsonValueKind.Null => throw ApiException.BadRequest(
                $"'{param}' is required: a string or an array of strings.", param),
            _ => throw ApiException.BadRequest($"'{param}' must be a string or an array of strings, not {Kind(input)}.", param),
        };
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

    private static string[] ArrayTexts(JsonElement input, string param, ServerOptions options)
    {
        int count = input.GetArrayLength();
        if (count == 0)
        {
            throw ApiException.BadRequest($"'{param}' is an empty array; send at least one string.", param);
        }

        if (count > options.MaxInputsPerRequest)
        {
            throw ApiException.BadRequest(
                $"'{param}' has {count} texts; the server accepts at most {options.MaxInputsPerRequest} per request " +
                "(SentenceMtl:MaxInputsPerRequest). Split the request.", param);
        }

        var texts = new string[count];
        int i = 0;
        foreach (var item in input.EnumerateArray())
        {
            texts[i] = item.ValueKind switch
            {
                JsonValueKind.String => Text(item, $"{param}[{i}]"),
                JsonValueKind.Number or JsonValueKind.Array => throw ApiException.BadRequest(
                    $"'{param}[{i}]' is {Kind(item)}: token arrays are not supported, this server tokenizes itself; send the text.", param),
                _ => throw ApiException.BadRequest($"'{param}[{i}]' must be a string, not {Kind(item)}.", param),
            };
            i++;
        }

        return texts;
    }

    private static string Kind(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    private static string FirstSentence(string message)
    {
        int end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message : message[..(end + 1)];
    }
}
