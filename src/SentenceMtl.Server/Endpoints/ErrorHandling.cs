using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics;

namespace SentenceMtl.Server.Endpoints;

/// <summary>
/// Turns every failure of a request into an OpenAI-style JSON error with the right status code: the server's own
/// refusals (<see cref="ApiException"/>), Kestrel's (body too large, connection problems), and anything unexpected
/// (500 with a generic message; the details go to the log, never to the client).
/// </summary>
internal sealed class ErrorHandling(RequestDelegate next, ILogger<ErrorHandling> logger)
{
    /// <summary>Runs the rest of the pipeline and answers its failures.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (ApiException e)
        {
            if (e.RetryAfterSeconds is { } seconds)
            {
                context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            await WriteAsync(context, e.StatusCode, e.Message, e.Type, e.Param, e.Code);
        }
        catch (BadHttpRequestException e)
        {
            string message = e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? "The request body is larger than the server accepts (SentenceMtl:MaxRequestBodyBytes); send fewer or shorter inputs."
                : "The request could not be read: " + e.Message;
            await WriteAsync(context, e.StatusCode, message, ApiException.InvalidRequest, null,
                e.StatusCode == StatusCodes.Status413PayloadTooLarge ? "payload_too_large" : null);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nobody is left to answer.
        }
        catch (Exception e)
        {
            logger.LogError(e, "Request {Method} {Path} failed.", context.Request.Method, context.Request.Path);
            await WriteAsync(context, StatusCodes.Status500InternalServerError,
                "The server failed to process the request; the server log has the details.", "server_error", null, null);
        }
    }

    /// <summary>
    /// The body of routing's own answers, which have none: 404 for an unknown path and 405 for a method the path does not
    /// take (routing has set <c>Allow</c>), in the same OpenAI shape as every other error.
    /// </summary>
    public static Task StatusCodePageAsync(StatusCodeContext page)
    {
        var context = page.HttpContext;
        string request = $"{context.Request.Method} {context.Request.Path}";
        return context.Response.StatusCode switch
        {
            StatusCodes.Status404NotFound => WriteAsync(context, StatusCodes.Status404NotFound,
                $"No endpoint answers {request}: see GET /v1/models, POST /v1/embeddings, POST /embed, POST /tokenize, POST /classify, GET /info, GET /health, GET /metrics.",
                ApiException.InvalidRequest, null, "not_found"),
            StatusCodes.Status405MethodNotAllowed => WriteAsync(context, StatusCodes.Status405MethodNotAllowed,
                $"{request} is not allowed; this path takes {AllowedMethods(context)}.", ApiException.InvalidRequest, null, "method_not_allowed"),
            _ => Task.CompletedTask,
        };
    }

    private static string AllowedMethods(HttpContext context) => context.Response.Headers.Allow.ToString() is { Length: > 0 } allow
        ? allow
        : "other methods";

    /// <summary>Writes the error body, unless the response has already started (then the connection is aborted).</summary>
    public static async Task WriteAsync(HttpContext context, int statusCode, string message, string type, string? param, string? code)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }

        // Clear drops the headers too: a 405's Allow, a 503's Retry-After and a 401's WWW-Authenticate are kept.
        var allow = context.Response.Headers.Allow;
        var retryAfter = context.Response.Headers.RetryAfter;
        var authenticate = context.Response.Headers.WWWAuthenticate;
        context.Response.Clear();
        context.Response.Headers.Allow = allow;
        context.Response.Headers.RetryAfter = retryAfter;
        context.Response.Headers.WWWAuthenticate = authenticate;
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";
        var body = new ErrorBody(new ErrorDetail(message, type, param, code));
        await JsonSerializer.SerializeAsync(context.Response.Body, body, WireJson.Options, context.RequestAborted);
    }

    private sealed record ErrorBody([property: JsonPropertyName("error")] ErrorDetail Error);

    private sealed record ErrorDetail(
        [property: JsonPropertyName("message")] string Message,
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("param")] string? Param,
        [property: JsonPropertyName("code")] string? Code);
}
