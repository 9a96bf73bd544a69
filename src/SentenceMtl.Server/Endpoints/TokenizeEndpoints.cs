using Microsoft.Extensions.Options;
using SentenceMtl.Server.Hosting;

namespace SentenceMtl.Server.Endpoints;

/// <summary>
/// text-embeddings-inference's <c>POST /tokenize</c>: <c>inputs</c> (string or string array), <c>add_special_tokens</c>
/// (default true); the answer has, per input, its tokens as TEI gives them: <c>id</c>, <c>text</c> (the input's
/// characters the token stands for; for <c>[CLS]</c>, <c>[SEP]</c> and a token that cannot be placed, the vocabulary
/// entry), <c>special</c>, <c>start</c> and <c>stop</c> (offsets into the input, null where <c>text</c> is the vocabulary
/// entry). Offsets count UTF-16 code units (characters, as JavaScript and .NET index strings), where TEI counts UTF-8
/// bytes; they agree on ASCII text. Not truncated, as TEI's; the request's tokens count against
/// <see cref="ServerOptions.MaxRequestTokens"/> (413 past it).
/// </summary>
internal static class TokenizeEndpoints
{
    /// <summary>Adds the route.</summary>
    public static void Map(IEndpointRouteBuilder app) => app.MapPost("/tokenize", TokenizeAsync);

    /// <summary>The request body.</summary>
    internal sealed record TokenizeRequest(TextInput? Inputs, bool? AddSpecialTokens);

    /// <summary>One token of the answer (TEI's <c>SimpleToken</c>).</summary>
    internal sealed record SimpleToken(int Id, string Text, bool Special, int? Start, int? Stop);

    private static async Task<IResult> TokenizeAsync(HttpContext context, ModelHost models, IOptions<ServerOptions> options)
    {
        var settings = options.Value;
        var request = await RequestReader.ReadAsync<TokenizeRequest>(context, settings);
        var texts = RequestReader.Texts(request.Inputs, "inputs", settings);
        var encoder = models.RequireEncoder();
        var result = new SimpleToken[texts.Length][];
        long total = 0;
        for (int i = 0; i < texts.Length; i++)
        {
            var tokens = encoder.TokenizeWithOffsets(texts[i], request.AddSpecialTokens ?? true);
            total += tokens.Count;
            // Checked as it grows, as the embedding endpoints do: a request already refused is not tokenized further.
            if (total > settings.MaxRequestTokens)
            {
                throw ApiException.TooLarge(
                    $"'inputs' has more than {settings.MaxRequestTokens} tokens (reached at 'inputs[{i}]'); the server accepts at " +
                    $"most {settings.MaxRequestTokens} tokens per request (SentenceMtl:MaxRequestTokens). Split it into smaller requests.",
                    "inputs");
            }

            result[i] = tokens.Select(token => ToSimple(token, texts[i])).ToArray();
        }

        return Results.Json(result, WireJson.Options);
    }

    private static SimpleToken ToSimple(TextToken token, string text) => token is { Start: { } start, End: { } end }
        ? new SimpleToken(token.Id, text[start..end], token.IsSpecial, start, end)
        : new SimpleToken(token.Id, token.Token, token.IsSpecial, null, null);
}
