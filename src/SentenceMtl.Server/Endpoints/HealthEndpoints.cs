using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SentenceMtl.Server.Hosting;

namespace SentenceMtl.Server.Endpoints;

/// <summary>
/// ASP.NET Core health checks at three paths, none of which needs the API key (load balancers and Kubernetes probes
/// call them):
/// <list type="bullet">
/// <item><c>GET /health/live</c>: liveness, 200 whenever the process answers (no check runs: a server busy loading or
/// serving is alive);</item>
/// <item><c>GET /health/ready</c>: readiness, 200 once every configured model is loaded, 503 while loading or after a
/// load failure (<see cref="ModelReadinessCheck"/>);</item>
/// <item><c>GET /health</c>: the same readiness, at text-embeddings-inference's path.</item>
/// </list>
/// The body is <c>{"status": "ok" | "loading" | "failed", "model": NAME}</c> (the model once loaded).
/// </summary>
internal static class HealthEndpoints
{
    /// <summary>text-embeddings-inference's readiness path.</summary>
    public const string Path = "/health";

    /// <summary>The liveness path.</summary>
    public const string LivePath = "/health/live";

    /// <summary>The readiness path.</summary>
    public const string ReadyPath = "/health/ready";

    /// <summary>Registers the readiness check.</summary>
    public static void AddServices(IServiceCollection services) =>
        services.AddHealthChecks().AddCheck<ModelReadinessCheck>(ModelReadinessCheck.Name, tags: [ModelReadinessCheck.Tag]);

    /// <summary>Adds the three routes, anonymous, for GET and HEAD only (other methods get 405).</summary>
    public static void Map(IEndpointRouteBuilder app)
    {
        var readiness = new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ModelReadinessCheck.Tag),
            ResponseWriter = WriteAsync,
        };
        var liveness = new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync };
        string[] methods = [HttpMethods.Get, HttpMethods.Head];
        app.MapHealthChecks(Path, readiness).WithMetadata(new HttpMethodMetadata(methods)).AllowAnonymous();
        app.MapHealthChecks(ReadyPath, readiness).WithMetadata(new HttpMethodMetadata(methods)).AllowAnonymous();
        app.MapHealthChecks(LivePath, liveness).WithMetadata(new HttpMethodMetadata(methods)).AllowAnonymous();
    }

    /// <summary>The body: the failing check's description (<c>loading</c>, <c>failed</c>) or <c>ok</c>, and the served model.</summary>
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        string status = report.Entries.Values.FirstOrDefault(entry => entry.Status != HealthStatus.Healthy).Description ?? "ok";
        string? model = context.RequestServices.GetRequiredService<ModelHost>().Names?.Primary;
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, new HealthBody(status, model), WireJson.Options, context.RequestAborted);
    }

    private sealed record HealthBody(string Status, string? Model);
}
