namespace SentenceMtl.Server.Endpoints;

/// <summary>
/// A request the server refuses: the status code and the OpenAI-style error body
/// (<c>{"error":{"message","type","param","code"}}</c>) that <see cref="ErrorHandling"/> writes.
/// </summary>
internal sealed class ApiException(int statusCode, string message, string? param = null, string? code = null,
    string type = ApiException.InvalidRequest, int? retryAfterSeconds = null) : Exception(message)
{
    /// <summary>OpenAI's error type for a request the client must change.</summary>
    public const string InvalidRequest = "invalid_request_error";

    /// <summary>The HTTP status code.</summary>
    public int StatusCode { get; } = statusCode;

    /// <summary>The request field at fault (e.g. <c>"input"</c>), or null.</summary>
    public string? Param { get; } = param;

    /// <summary>A machine-readable reason (e.g. <c>"model_not_found"</c>), or null.</summary>
    public string? Code { get; } = code;

    /// <summary>The error's type (<see cref="InvalidRequest"/>, <c>"server_error"</c>, …).</summary>
    public string Type { get; } = type;

    /// <summary>Seconds for the <c>Retry-After</c> header of a 503 (busy), or null for none.</summary>
    public int? RetryAfterSeconds { get; } = retryAfterSeconds;

    /// <summary>400: the request's content is wrong.</summary>
    public static ApiException BadRequest(string message, string? param = null, string? code = null) =>
        new(StatusCodes.Status400BadRequest, message, param, code);

    /// <summary>413: the request or one of its texts is too large.</summary>
    public static ApiException TooLarge(string message, string? param = null) =>
        new(StatusCodes.Status413PayloadTooLarge, message, param, "payload_too_large");

    /// <summary>503: the model is still loading, or the queue is full or closed.</summary>
    public static ApiException Unavailable(string message) =>
        new(StatusCodes.Status503ServiceUnavailable, message, null, "service_unavailable", "server_error");

    /// <summary>503 with <c>Retry-After</c>: the server's budget of work in flight is spent; retry after that many seconds.</summary>
    public static ApiException Busy(string message, int retryAfterSeconds) =>
        new(StatusCodes.Status503ServiceUnavailable, message, null, "server_overloaded", "server_error", retryAfterSeconds);
}
