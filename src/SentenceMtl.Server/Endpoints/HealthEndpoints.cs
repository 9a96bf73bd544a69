using SentenceMtl.Server.Hosting;

namespace SentenceMtl.Server.Endpoints;

/// <summary><c>GET /health</c>: 200 once every configured model is loaded, 503 before (or when loading failed); never
/// needs the API key, so that load balancers and Kubernetes probes can call it.</summary>
internal static class HealthEndpoints
{
    /// <summary>The route, also exempt from the API key.</summary>
    public const string Path = "/health";

    /// <summary>Adds the route.</summary>
    public static void Map(IEndpointRouteBuilder app) => app.MapGet(Path, (ModelHost models) => models.IsReady
        ? Results.Json(new { status = "ok", model = models.Names!.Primary }, WireJson.Options)
        : Results.Json(new { status = models.WhenReady.IsFaulted ? "failed" : "loading" }, WireJson.Options,
            statusCode: StatusCodes.Status503ServiceUnavailable));
}
