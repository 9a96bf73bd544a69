using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SentenceMtl.Server.Hosting;

namespace SentenceMtl.Server.Tests.Hosting;

/// <summary>The health checks: liveness answers while the model loads, readiness (and TEI's <c>/health</c>) only once it
/// is loaded; only GET and HEAD.</summary>
public sealed class HealthTests : IDisposable
{
    private readonly TempFolder folder = new();
    private readonly string tiny;

    public HealthTests() => tiny = TinyModel.CreateFolder(Path.Combine(folder.Path, "tiny"));

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task Liveness_is_200_while_loading_and_readiness_turns_200_once_loaded()
    {
        var gate = new GatedLoader();
        await using var server = new ServerFactory(new Dictionary<string, string> { ["Model"] = tiny },
            services => services.AddSingleton<ModelLoader>(gate));
        using var client = server.CreateClient();

        var liveWhileLoading = await client.GetAsync("/health/live");
        var readyWhileLoading = await client.GetAsync("/health/ready");
        var teiWhileLoading = await client.GetAsync("/health");
        gate.Open.TrySetResult();
        await server.WaitUntilReadyAsync();
        var live = await client.GetAsync("/health/live");
        var ready = await client.GetAsync("/health/ready");
        var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/health/ready"));

        Assert.Equal(HttpStatusCode.OK, liveWhileLoading.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyWhileLoading.StatusCode);
        Assert.Equal("loading", await StatusAsync(readyWhileLoading));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, teiWhileLoading.StatusCode);
        Assert.Equal("loading", await StatusAsync(teiWhileLoading));
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        Assert.Equal("ok", body.RootElement.GetProperty("status").GetString());
        Assert.Equal("tiny", body.RootElement.GetProperty("model").GetString());
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
    }

    [Fact]
    public async Task Readiness_check_reports_a_failed_load_as_unhealthy()
    {
        var options = Microsoft.Extensions.Options.Options.Create(new ServerOptions { Model = Path.Combine(folder.Path, "missing") });
        using var lifetime = new StoppingLifetime();
        using var host = new ModelHost(options, new ModelLoader(), lifetime,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<ModelHost>.Instance);
        var check = new ModelReadinessCheck(host);

        var loading = await check.CheckHealthAsync(new());
        await host.StartAsync(CancellationToken.None);
        await Assert.ThrowsAsync<ModelNotFoundException>(() => host.WhenReady.WaitAsync(TimeSpan.FromMinutes(1)));
        var failed = await check.CheckHealthAsync(new());

        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, loading.Status);
        Assert.Equal("loading", loading.Description);
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, failed.Status);
        Assert.Equal("failed", failed.Description);
        Assert.True(lifetime.Stopped);
        Environment.ExitCode = 0;
    }

    private static async Task<string?> StatusAsync(HttpResponseMessage response)
    {
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("status").GetString();
    }

    /// <summary>Records that the application was asked to stop.</summary>
    private sealed class StoppingLifetime : Microsoft.Extensions.Hosting.IHostApplicationLifetime, IDisposable
    {
        private readonly CancellationTokenSource stopping = new();

        public bool Stopped => stopping.IsCancellationRequested;

        /// <summary>Already started.</summary>
        public CancellationToken ApplicationStarted => new(canceled: true);

        public CancellationToken ApplicationStopping => stopping.Token;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication() => stopping.Cancel();

        public void Dispose() => stopping.Dispose();
    }

    /// <summary>Loads only once <see cref="Open"/> is completed.</summary>
    private sealed class GatedLoader : ModelLoader
    {
        public TaskCompletionSource Open { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async Task<(SentenceEncoder Encoder, MultiTaskModel? Classifier)> LoadAsync(ServerOptions options, CancellationToken cancellationToken)
        {
            await Open.Task.WaitAsync(cancellationToken);
            return await base.LoadAsync(options, cancellationToken);
        }
    }
}
