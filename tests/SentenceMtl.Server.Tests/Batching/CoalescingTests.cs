using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace SentenceMtl.Server.Tests.Batching;

/// <summary>Concurrent requests coalesce into batches (visible in <c>/metrics</c>), and each still gets exactly the
/// vectors that in-process <c>Encode</c> gives its texts alone.</summary>
[Collection(TinyServerCollection.Name)]
public sealed class CoalescingTests(TinyServerFixture fixture)
{
    [Fact]
    public async Task Concurrent_requests_coalesce_and_each_gets_its_own_vectors()
    {
        using var client = fixture.CreateClient();
        var texts = TinyModel.Sentences(48);
        var before = await BatchSizeAsync(client);

        var responses = await Task.WhenAll(texts.Select(async (text, i) =>
        {
            // Every third request sends two texts, so batches mix request sizes.
            string[] input = i % 3 == 0 ? [text, texts[(i + 1) % texts.Length]] : [text];
            var response = await client.PostAsJsonAsync("/v1/embeddings", new { input, model = "tiny" });
            response.EnsureSuccessStatusCode();
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var vectors = body.RootElement.GetProperty("data").EnumerateArray()
                .Select(d => d.GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray()).ToArray();
            return (input, vectors);
        }));

        foreach (var (input, vectors) in responses)
        {
            Assert.Equal(input.Length, vectors.Length);
            for (int j = 0; j < input.Length; j++)
            {
                Assert.Equal(fixture.Reference.Encode([input[j]])[0], vectors[j]);
            }
        }

        var after = await BatchSizeAsync(client);
        double texts48 = after.Sum - before.Sum;
        double batches = after.Count - before.Count;
        Assert.Equal(texts.Length + 16, texts48);
        Assert.True(batches < texts.Length, $"{texts.Length} concurrent requests ran in {batches} batches: none coalesced.");
    }

    [Fact]
    public async Task Metrics_count_requests_by_route_and_status_and_tokens_and_queue_time()
    {
        using var client = fixture.CreateClient();
        (await client.PostAsJsonAsync("/v1/embeddings", new { input = "the game", model = "tiny" })).EnsureSuccessStatusCode();
        await client.PostAsJsonAsync("/v1/embeddings", new { input = "the game", model = "nope" });

        string metrics = await client.GetStringAsync("/metrics");

        // ASP.NET Core's own http.server.request.duration, by route and status code (labels in Prometheus's spelling).
        Assert.Contains("# TYPE http_server_request_duration_seconds histogram", metrics, StringComparison.Ordinal);
        Assert.Matches("""http_server_request_duration_seconds_count\{(?=[^}]*http_route="/v1/embeddings")(?=[^}]*http_response_status_code="200")[^}]*\} [1-9]""", metrics);
        Assert.Matches("""http_server_request_duration_seconds_count\{(?=[^}]*http_route="/v1/embeddings")(?=[^}]*http_response_status_code="404")[^}]*\} [1-9]""", metrics);
        Assert.DoesNotContain("sentencemtl_requests_total", metrics, StringComparison.Ordinal);
        Assert.Matches("""sentencemtl_tokens_total\{[^}]*route="/v1/embeddings"[^}]*\} [1-9]""", metrics);
        Assert.Matches("""sentencemtl_queue_time_seconds_count\{[^}]*\} [1-9]""", metrics);
        Assert.Matches("""sentencemtl_batch_requests_count\{[^}]*\} [1-9]""", metrics);
    }

    /// <summary>The batch-size histogram's sum (texts) and count (batches).</summary>
    private static async Task<(double Sum, double Count)> BatchSizeAsync(HttpClient client)
    {
        string metrics = await client.GetStringAsync("/metrics");
        return (Value(metrics, "sentencemtl_batch_size_sum"), Value(metrics, "sentencemtl_batch_size_count"));
    }

    /// <summary>The sum of the series called <paramref name="name"/>. OpenTelemetry listens to meters by name, so a
    /// server that another test started in this process may add a series of its own, which does not change meanwhile.</summary>
    private static double Value(string metrics, string name) => metrics.Split('\n')
        .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal))
        .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
}
