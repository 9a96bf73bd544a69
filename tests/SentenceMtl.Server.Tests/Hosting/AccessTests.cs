using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using SentenceMtl.Server.Hosting;
using SentenceMtl.Server.Tests.Endpoints;

namespace SentenceMtl.Server.Tests.Hosting;

/// <summary>The API key, readiness (503 while the model loads) and the default embedded model.</summary>
public sealed class AccessTests : IDisposable
{
    private readonly TempFolder folder = new();
    private readonly string tiny;

    public AccessTests() => tiny = TinyModel.CreateFolder(Path.Combine(folder.Path, "tiny"));

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task Api_key_is_required_everywhere_but_the_health_checks()
    {
        await using var server = new ServerFactory(new Dictionary<string, string> { ["Model"] = tiny, ["ApiKey"] = "s3cret" });
        await server.WaitUntilReadyAsync();
        using var client = server.CreateClient();
        var body = new { input = "a game", model = "tiny" };

        var missing = await client.PostAsJsonAsync("/v1/embeddings", body);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong");
        var wrong = await client.PostAsJsonAsync("/v1/embeddings", body);
        var metrics = await client.GetAsync("/metrics");
        var tokenize = await client.PostAsJsonAsync("/tokenize", new { inputs = "a game" });
        var info = await client.GetAsync("/info");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");
        var right = await client.PostAsJsonAsync("/v1/embeddings", body);
        client.DefaultRequestHeaders.Authorization = null;
        var health = await client.GetAsync("/health");
        var live = await client.GetAsync("/health/live");
        var ready = await client.GetAsync("/health/ready");
        var lowerCase = await SendWithAuthorizationAsync(client, "bearer s3cret");
        var upperCase = await SendWithAuthorizationAsync(client, "BEARER s3cret");
        var otherScheme = await SendWithAuthorizationAsync(client, "Basic s3cret");
        var keyInOtherCase = await SendWithAuthorizationAsync(client, "Bearer S3CRET");
        var longer = await SendWithAuthorizationAsync(client, "Bearer s3cretX");

        await BadRequestTests.AssertErrorAsync(missing, 401, "API key");
        await BadRequestTests.AssertErrorAsync(wrong, 401, "API key");
        Assert.Equal(HttpStatusCode.Unauthorized, metrics.StatusCode);
        await BadRequestTests.AssertErrorAsync(tokenize, 401, "API key");
        await BadRequestTests.AssertErrorAsync(info, 401, "API key");
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Bearer", Assert.Single(missing.Headers.WwwAuthenticate).Scheme);
        Assert.Contains("\"invalid_api_key\"", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // RFC 7235: the scheme is case-insensitive; the key is not.
        Assert.Equal(HttpStatusCode.OK, lowerCase.StatusCode);
        Assert.Equal(HttpStatusCode.OK, upperCase.StatusCode);
        await BadRequestTests.AssertErrorAsync(otherScheme, 401, "API key");
        await BadRequestTests.AssertErrorAsync(keyInOtherCase, 401, "API key");
        await BadRequestTests.AssertErrorAsync(longer, 401, "API key");
    }

    private static Task<HttpResponseMessage> SendWithAuthorizationAsync(HttpClient client, string authorization)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/embeddings") { Content = JsonContent.Create(new { input = "a game", model = "tiny" }) };
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return client.SendAsync(request);
    }

    [Fact]
    public async Task Health_is_503_until_the_model_is_loaded_and_requests_meanwhile_are_503()
    {
        var gate = new GatedLoader();
        await using var server = new ServerFactory(new Dictionary<string, string> { ["Model"] = tiny },
            services => services.AddSingleton<ModelLoader>(gate));
        using var client = server.CreateClient();

        var loading = await client.GetAsync("/health");
        var early = await client.PostAsJsonAsync("/v1/embeddings", new { input = "a game", model = "tiny" });
        gate.Open.TrySetResult();
        await server.WaitUntilReadyAsync();
        var ready = await client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, loading.StatusCode);
        Assert.Contains("loading", await loading.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await BadRequestTests.AssertErrorAsync(early, 503, "still loading");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task Default_model_is_all_minilm_and_answers_to_its_hub_id()
    {
        await using var server = new ServerFactory(new Dictionary<string, string>());
        await server.WaitUntilReadyAsync();
        using var client = server.CreateClient();
        using var reference = SentenceEncoder.FromPretrained("all-MiniLM-L6-v2");

        using var body = await WireFormatTests.ReadAsync(await client.PostAsJsonAsync("/v1/embeddings",
            new { input = "The team won the match.", model = "sentence-transformers/all-MiniLM-L6-v2" }));

        Assert.Equal("all-MiniLM-L6-v2", body.RootElement.GetProperty("model").GetString());
        var vector = body.RootElement.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.Equal(reference.Encode("The team won the match."), vector);
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
