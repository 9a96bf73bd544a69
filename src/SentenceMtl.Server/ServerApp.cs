using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using SentenceMtl.Server.Batching;
using SentenceMtl.Server.Endpoints;
using SentenceMtl.Server.Hosting;

namespace SentenceMtl.Server;

/// <summary>Builds the server: configuration, services, limits, metrics and routes.</summary>
internal static class ServerApp
{
    /// <summary>Short command-line switches for the common settings.</summary>
    private static readonly Dictionary<string, string> Switches = new(StringComparer.OrdinalIgnoreCase)
    {
        ["--model"] = $"{ServerOptions.SectionName}:{nameof(ServerOptions.Model)}",
        ["--classifier"] = $"{ServerOptions.SectionName}:{nameof(ServerOptions.Classifier)}",
        ["--api-key"] = $"{ServerOptions.SectionName}:{nameof(ServerOptions.ApiKey)}",
    };

    /// <summary>The application, configured from <paramref name="args"/>, appsettings.json and the environment.</summary>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Configuration.AddCommandLine(args, Switches);
        AddServices(builder.Services);
        var app = builder.Build();
        app.UseMiddleware<RequestCounting>();
        app.UseMiddleware<ErrorHandling>();
        app.UseMiddleware<ApiKeyCheck>();
        app.UseRouting();
        HealthEndpoints.Map(app);
        OpenAiEndpoints.Map(app);
        TeiEndpoints.Map(app);
        ClassifyEndpoints.Map(app);
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }

    private static void AddServices(IServiceCollection services)
    {
        services.AddOptions<ServerOptions>()
            .BindConfiguration(ServerOptions.SectionName)
            .Validate(options =>
            {
                options.Validate();
                return true;
            })
            .ValidateOnStart();
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<ServerOptions>>(
            (kestrel, options) => kestrel.Limits.MaxRequestBodySize = options.Value.MaxRequestBodyBytes);
        services.AddSingleton<ServerMetrics>();
        services.AddSingleton<ModelLoader>();
        services.AddSingleton<ModelHost>();
        services.AddHostedService(provider => provider.GetRequiredService<ModelHost>());
        services.AddSingleton<BatchingQueue>();
        services.AddHostedService(provider => provider.GetRequiredService<BatchingQueue>());
        services.AddSingleton<EmbeddingService>();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(ServerMetrics.MeterName)
            .AddPrometheusExporter(exporter => exporter.ScrapeResponseCacheDurationMilliseconds = 0));
    }
}
