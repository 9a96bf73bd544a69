using System.Text.Json;
using System.Text.Json.Serialization;

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

    /// <summary>Writes the error body, unless the response has already started (then the connection is aborted).</summary>
    public static async Task WriteAsync(HttpContext context, int statusCode, string message, string type, string? param, string? code)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }

        context.Response.Clear();
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
