using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace SentenceMtl.Server.Tests.Endpoints;

/// <summary>Hostile requests the server already answered well, kept so: deep nesting, a million inputs, bad
/// <c>dimensions</c>, NUL characters, slow clients, many small concurrent requests.</summary>
public sealed class HeldCasesTests : IAsyncLifetime
{
    private readonly TempFolder folder = new();
    private ServerFactory server = null!;

    public async Task InitializeAsync()
    {
        string tiny = TinyModel.CreateFolder(Path.Combine(folder.Path, "tiny"));
        // Default request limits; Kestrel's header and body-rate timeouts shortened so that slow clients are cut quickly.
        server = new ServerFactory(new Dictionary<string, string> { ["Model"] = tiny }, services => services.Configure<KestrelServerOptions>(kestrel =>
        {
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(2);
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 1000, gracePeriod: TimeSpan.FromSeconds(2));
        }));
        await server.WaitUntilReadyAsync();
    }

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        folder.Dispose();
    }

    [Fact]
    public async Task Deep_nesting_is_400()
    {
        using var client = server.CreateClient();
        string json = """{"input": """ + new string('[', 100_000) + new string(']', 100_000) + """, "model": "tiny"}""";

        await BadRequestTests.AssertErrorAsync(await client.PostJsonAsync("/v1/embeddings", json), 400, "depth");
        await BadRequestTests.AssertStillServingAsync(client);
    }

    [Fact]
    public async Task A_million_inputs_is_400_naming_the_limit()
    {
        using var client = server.CreateClient();
        string json = """{"model": "tiny", "input": [""" + string.Join(',', Enumerable.Repeat("\"a\"", 1_000_000)) + "]}";

        await BadRequestTests.AssertErrorAsync(await client.PostJsonAsync("/v1/embeddings", json), 400, "SentenceMtl:MaxInputsPerRequest");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1e9")]
    [InlineData("\"abc\"")]
    [InlineData("32.5")]
    [InlineData("33")]
    [InlineData("99999999999")]
    public async Task Bad_dimensions_are_400(string dimensions)
    {
        using var client = server.CreateClient();

        var response = await client.PostJsonAsync("/v1/embeddings", $$"""{"input": "a game", "model": "tiny", "dimensions": {{dimensions}}}""");

        await BadRequestTests.AssertErrorAsync(response, 400, "dimensions");
    }

    [Fact]
    public async Task Nul_characters_are_text_like_any_other()
    {
        using var client = server.CreateClient();

        var response = await client.PostJsonAsync("/v1/embeddings", """{"input": ["a\u0000game", "\u0000"], "model": "tiny"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Slow_headers_and_slow_bodies_get_408_while_health_stays_fast()
    {
        using var slowHeaders = await SendRawAsync("POST /v1/embeddings HTTP/1.1\r\nHost: x\r\n");
        using var slowBody = await SendRawAsync(
            "POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"input\": \"");
        using var client = server.CreateClient();
        var health = Stopwatch.StartNew();
        var ok = await client.GetAsync("/health");
        health.Stop();

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.True(health.Elapsed < TimeSpan.FromSeconds(2), $"/health took {health.Elapsed}");
        Assert.Contains("408", await ReadAllAsync(slowHeaders), StringComparison.Ordinal);
        Assert.Contains("408", await ReadAllAsync(slowBody), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Three_hundred_concurrent_small_requests_are_all_answered()
    {
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 300 }) { BaseAddress = server.Address };
        var texts = TinyModel.Sentences(300);

        var statuses = await Task.WhenAll(texts.Select(async text =>
            (await client.PostJsonAsync("/v1/embeddings", $$"""{"input": "{{text}}", "model": "tiny"}""")).StatusCode));

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
    }

    private async Task<TcpClient> SendRawAsync(string request)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Address.Port);
        await tcp.GetStream().WriteAsync(Encoding.ASCII.GetBytes(request));
        return tcp;
    }

    /// <summary>What the server sends until it closes the connection (Kestrel's 408 comes within a few seconds).</summary>
    private static async Task<string> ReadAllAsync(TcpClient tcp)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[4096];
        var text = new StringBuilder();
        try
        {
            int read;
            while ((read = await tcp.GetStream().ReadAsync(buffer, timeout.Token)) > 0)
            {
                text.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
        }
        catch (IOException)
        {
            // Kestrel may reset the connection right after its answer.
        }

        return text.ToString();
    }
}
