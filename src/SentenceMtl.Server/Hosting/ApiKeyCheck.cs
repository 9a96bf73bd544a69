using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using SentenceMtl.Server.Endpoints;

namespace SentenceMtl.Server.Hosting;

/// <summary>
/// When <see cref="ServerOptions.ApiKey"/> is set, refuses (401, OpenAI-style body) every request but <c>/health</c>
/// whose <c>Authorization</c> header is not <c>Bearer</c> that key. The scheme is matched in any case (RFC 7235); the
/// key exactly, by comparing SHA-256 hashes in fixed time, so that neither the key's content nor its length shows in
/// the time a guess takes.
/// </summary>
internal sealed class ApiKeyCheck(RequestDelegate next, IOptions<ServerOptions> options)
{
    private const string Scheme = "Bearer ";

    private readonly byte[]? expected = options.Value.ApiKey is { } key ? SHA256.HashData(Encoding.UTF8.GetBytes(key)) : null;

    /// <summary>Lets the request through, or answers 401.</summary>
    public Task InvokeAsync(HttpContext context)
    {
        if (expected is null || context.Request.Path.Equals(HealthEndpoints.Path, StringComparison.OrdinalIgnoreCase))
        {
            return next(context);
        }

        string header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)
            && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(header[Scheme.Length..])), expected))
        {
            return next(context);
        }

        context.Response.Headers.WWWAuthenticate = "Bearer";
        return ErrorHandling.WriteAsync(context, StatusCodes.Status401Unauthorized,
            "Missing or incorrect API key: send the header 'Authorization: Bearer <key>' with the key the server was given (SentenceMtl:ApiKey).",
            ApiException.InvalidRequest, null, "invalid_api_key");
    }
}
