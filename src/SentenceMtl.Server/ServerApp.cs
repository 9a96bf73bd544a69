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

    /// <summary>
    /// Builds, starts and runs the server until it stops; returns the process's exit code. A server that cannot start
    /// (a setting out of range or of the wrong type, a port in use) writes why to <paramref name="error"/> and returns 1,
    /// instead of ending in an unhandled exception (exit code 134 and a stack trace).
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter error)
    {
        WebApplication app;
        try
        {
            app = Build(args);
            await app.StartAsync();
        }
        catch (Exception e) when (e is not HostAbortedException)
        {
            // HostAbortedException is how WebApplicationFactory takes the built host: it must pass.
            await error.WriteLineAsync($"SentenceMtl.Server could not start: {StartupProblem(e)}");
            return 1;
        }

        await using (app)
        {
            await app.WaitForShutdownAsync();
            if (app.Services.GetRequiredService<ModelHost>().WhenReady.Exception?.InnerException is { } failure)
            {
                await error.WriteLineAsync($"SentenceMtl.Server stopped: could not load the model: {StartupProblem(failure)}");
            }
        }

        // ModelHost sets 1 when a model fails to load.
        return Environment.ExitCode;
    }

    /// <summary>The message of <paramref name="e"/> and its causes, without stack traces.</summary>
    private static string StartupProblem(Exception e)
    {
        var messages = new List<string>();
        for (var cause = e; cause is not null; cause = cause.InnerException)
        {
            if (!messages.Contains(cause.Message))
            {
                messages.Add(cause.Message);
            }
        }

        return string.Join(" ", messages);
    }

    /// <summary>The application, configured from <paramref name="args"/>, appsettings.json and the environment.</summary>
    public static WebApplication Build(string[] args)
    {
        // The content root (where appsettings.json is read) is the application's folder, not the current directory:
        // `dotnet run` starts the server in the user's directory (for relative model paths), and a published server
        // may be started from anywhere.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddCommandLine(args, Switches);
        AddServices(builder.Services);
        var app = builder.Build();
        app.UseMiddleware<ErrorHandling>();
        app.UseStatusCodePages(ErrorHandling.StatusCodePageAsync);
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        HealthEndpoints.Map(app);
        // Everything but the health checks needs the API key when one is set.
        var work = app.MapGroup("");
        if (app.Services.GetRequiredService<IOptions<ServerOptions>>().Value.ApiKey is not null)
        {
            work.RequireAuthorization();
        }

        OpenAiEndpoints.Map(work);
        TeiEndpoints.Map(work);
        ClassifyEndpoints.Map(work);
        InfoEndpoints.Map(work);
        TokenizeEndpoints.Map(work);
        // The exporter maps every method; a scrape is a GET (or HEAD), anything else is 405.
        work.MapPrometheusScrapingEndpoint("/metrics").WithMetadata(new HttpMethodMetadata([HttpMethods.Get, HttpMethods.Head]));
        return app;
    }

    private static void AddServices(IServiceCollection services)
    {
        services.AddOptions<ServerOptions>().BindConfiguration(ServerOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ServerOptions>, ServerOptionsValidator>();
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<ServerOptions>>((kestrel, options) =>
        {
            kestrel.Limits.MaxRequestBodySize = options.Value.MaxRequestBodyBytes;
            // Kestrel reads a connection ahead into a buffer of this size before the app asks (1 MiB by default): with
            // hundreds of clients waiting for admission that alone was hundreds of MiB. 64 KiB still holds the largest
            // request line and headers Kestrel accepts (32 KiB).
            kestrel.Limits.MaxRequestBufferSize = 64 * 1024;
        });
        ApiKeyAuthenticationHandler.AddServices(services);
        HealthEndpoints.AddServices(services);
        services.AddSingleton<ServerMetrics>();
        services.AddSingleton<ModelLoader>();
        services.AddSingleton<ModelHost>();
        services.AddHostedService(provider => provider.GetRequiredService<ModelHost>());
        services.AddSingleton<Admission>();
        services.AddSingleton<BatchingQueue>();
        services.AddHostedService(provider => provider.GetRequiredService<BatchingQueue>());
        services.AddSingleton<EmbeddingService>();
        services.AddHostedService<IdleMemoryTrim>();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(ServerMetrics.MeterName, ServerMetrics.HostingMeterName)
            .AddPrometheusExporter(exporter => exporter.ScrapeResponseCacheDurationMilliseconds = 0));
    }
}
