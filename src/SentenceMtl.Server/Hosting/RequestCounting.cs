namespace SentenceMtl.Server.Hosting;

/// <summary>Counts every answered request in <see cref="ServerMetrics"/> by its route template and final status code.</summary>
internal sealed class RequestCounting(RequestDelegate next, ServerMetrics metrics)
{
    /// <summary>Runs the request, then counts it.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        finally
        {
            string route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            metrics.Request(route, context.Response.StatusCode);
        }
    }
}
