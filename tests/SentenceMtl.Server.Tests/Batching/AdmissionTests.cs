using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using SentenceMtl.Server.Batching;
using SentenceMtl.Server.Tests.Endpoints;

namespace SentenceMtl.Server.Tests.Batching;

/// <summary>The work in flight is bounded in total: too many requests get 429, a spent body or token budget 503 with
/// Retry-After after the admission timeout, a request over the token cap 413; and the budgets are given back.</summary>
public sealed class AdmissionTests : IDisposable
{
    private readonly TempFolder folder = new();
    private readonly string tiny;

    public AdmissionTests() => tiny = TinyModel.CreateFolder(Path.Combine(folder.Path, "tiny"));

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task A_request_over_the_token_cap_is_413_naming_the_setting()
    {
        await using var server = await StartAsync(new() { ["MaxRequestTokens"] = "20", ["MaxQueuedTokens"] = "20" });
        using var client = server.CreateClient();

        var tooMany = await client.PostJsonAsync("/v1/embeddings", new { input = TinyModel.Sentences(8), model = "tiny" });
        var tooManyTei = await client.PostJsonAsync("/embed", new { inputs = TinyModel.Sentences(8) });

        await BadRequestTests.AssertErrorAsync(tooMany, 413, "SentenceMtl:MaxRequestTokens");
        await BadRequestTests.AssertErrorAsync(tooManyTei, 413, "at most 20 tokens per request");
        await BadRequestTests.AssertStillServingAsync(client);
    }

    [Fact]
    public async Task A_spent_token_budget_is_503_with_retry_after_until_it_is_given_back()
    {
        await using var server = await StartAsync(new() { ["AdmissionTimeout"] = "00:00:00.200" });
        using var client = server.CreateClient();
        var admission = server.Services.GetRequiredService<Admission>();
        // The whole default budget: a largest request, the rest of what large requests may take, and the reserve kept
        // for small ones.
        var held = new[]
        {
            await admission.AdmitWorkAsync(131_072, 0, CancellationToken.None),
            await admission.AdmitWorkAsync(98_304, 0, CancellationToken.None),
            await admission.AdmitWorkAsync(32_768, 0, CancellationToken.None),
        };

        var busy = await client.PostJsonAsync("/v1/embeddings", new { input = "a game", model = "tiny" });
        var health = await client.GetAsync("/health");
        Array.ForEach(held, lease => lease.Dispose());

        await BadRequestTests.AssertErrorAsync(busy, 503, "SentenceMtl:MaxQueuedTokens");
        Assert.Equal("1", busy.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        await BadRequestTests.AssertStillServingAsync(client);
        Assert.Equal(0, admission.QueuedTokens);
    }

    [Fact]
    public async Task Bodies_in_flight_are_bounded_in_bytes_and_the_reservation_ends_with_the_answer()
    {
        await using var server = await StartAsync(new()
        {
            ["MaxRequestBodyBytes"] = "200000", ["MaxBufferedBodyBytes"] = "200000", ["AdmissionTimeout"] = "00:00:00.200",
        });
        using var client = server.CreateClient();
        var admission = server.Services.GetRequiredService<Admission>();
        var stalled = new StalledBody();

        // Chunked: the server cannot know its size, so it reserves 64 KiB and more as the body arrives.
        var first = client.PostAsync("/v1/embeddings", stalled);
        await WaitUntilAsync(() => admission.BufferedBodyBytes == Admission.ChunkedStep);
        // Declared larger than what is left (135,000 of 200,000 bytes): waits, then 503.
        var busy = await client.PostJsonAsync("/v1/embeddings", $$"""{"input": "a game", "model": "tiny", "user": "{{new string('u', 150_000)}}"}""");
        // A chunked body (JsonContent sends no length) reads within its first 64 KiB.
        var small = await client.PostAsJsonAsync("/v1/embeddings", new { input = "a game", model = "tiny" });
        stalled.Finish.TrySetResult();
        var finished = await first;

        await BadRequestTests.AssertErrorAsync(busy, 503, "SentenceMtl:MaxBufferedBodyBytes");
        Assert.NotNull(busy.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
        Assert.Equal(HttpStatusCode.OK, finished.StatusCode);
        await WaitUntilAsync(() => admission.BufferedBodyBytes == 0);
    }

    [Fact]
    public async Task Requests_past_the_concurrency_limit_are_429_at_once()
    {
        await using var server = await StartAsync(new() { ["MaxConcurrentRequests"] = "1" });
        using var client = server.CreateClient();
        var admission = server.Services.GetRequiredService<Admission>();
        var stalled = new StalledBody();

        var first = client.PostAsync("/v1/embeddings", stalled);
        await WaitUntilAsync(() => admission.BufferedBodyBytes > 0);
        var refused = await client.PostJsonAsync("/embed", new { inputs = "a game" });
        stalled.Finish.TrySetResult();

        await BadRequestTests.AssertErrorAsync(refused, 429, "SentenceMtl:MaxConcurrentRequests");
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, (await first).StatusCode);
        await BadRequestTests.AssertStillServingAsync(client);
    }

    [Theory]
    [InlineData("MaxBufferedBodyBytes", "1024", "MaxRequestBodyBytes")]
    [InlineData("MaxQueuedTokens", "100", "MaxRequestTokens")]
    [InlineData("AdmissionTimeout", "00:05:00", "00:01:00")]
    [InlineData("MaxConcurrentRequests", "0", "1 or more")]
    public async Task Budgets_smaller_than_one_request_stop_the_start(string key, string value, string reason)
    {
        using var error = new StringWriter();

        int exitCode = await ServerApp.RunAsync(["--urls", "http://127.0.0.1:0", $"--SentenceMtl:{key}", value], error);

        Assert.Equal(1, exitCode);
        Assert.Contains($"SentenceMtl:{key}", error.ToString(), StringComparison.Ordinal);
        Assert.Contains(reason, error.ToString(), StringComparison.Ordinal);
    }

    private async Task<ServerFactory> StartAsync(Dictionary<string, string> settings)
    {
        settings["Model"] = tiny;
        var server = new ServerFactory(settings);
        await server.WaitUntilReadyAsync();
        return server;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not hold within 30 s.");
            await Task.Delay(10);
        }
    }

    /// <summary>A chunked JSON body that sends its first half, then waits for <see cref="Finish"/>.</summary>
    private sealed class StalledBody : HttpContent
    {
        private static readonly byte[] Json = """{"input": "the team won the game", "model": "tiny"}"""u8.ToArray();

        public StalledBody() => Headers.ContentType = new MediaTypeHeaderValue("application/json");

        public TaskCompletionSource Finish { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(Json.AsMemory(0, 10));
            await stream.FlushAsync();
            await Finish.Task;
            await stream.WriteAsync(Json.AsMemory(10));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
