using System.Text.Json;

namespace SentenceMtl.Server.Endpoints;

/// <summary>
/// Reads a request's JSON body and its texts, refusing with a clear <see cref="ApiException"/> what does not fit: a
/// body over the size limit (413), malformed JSON or a value of the wrong type (400), no texts, too many texts (400),
/// a text too long (413), token arrays (400: this server takes text).
/// </summary>
internal static class RequestReader
{
    /// <summary>The body as <typeparamref name="T"/>.</summary>
    /// <exception cref="ApiException">Too large, not JSON, or not of the expected shape.</exception>
    public static async Task<T> ReadAsync<T>(HttpContext context, ServerOptions options) where T : class
    {
        if (context.Request.ContentLength > options.MaxRequestBodyBytes)
        {
            throw ApiException.TooLarge(
                $"The request body ({context.Request.ContentLength} bytes) is larger than the server accepts " +
                $"({options.MaxRequestBodyBytes} bytes, SentenceMtl:MaxRequestBodyBytes); send fewer or shorter inputs.");
        }

        try
        {
            return await JsonSerializer.DeserializeAsync<T>(context.Request.Body, WireJson.Options, context.RequestAborted)
                ?? throw ApiException.BadRequest("The request body is JSON null; send a JSON object.");
        }
        catch (JsonException e)
        {
            string where = e.Path is { Length: > 0 } path ? $" at {path}" : "";
            // The converter's message names internal types: a wrong type is said in the client's terms instead.
            string reason = e.Message.Contains("could not be converted", StringComparison.Ordinal)
                ? "the value has the wrong type (see the endpoint's documentation)."
                : FirstSentence(e.Message);
            throw ApiException.BadRequest($"The request body is not valid JSON for this endpoint{where}: {reason}");
        }
    }

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
            JsonValueKind.String => [input.GetString()!],
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
                JsonValueKind.String => item.GetString()!,
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
