using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace SentenceMtl.Server.Tests.Load;

/// <summary>
/// Bounded load tests on loopback against the server in its own process, with its default limits: a burst of
/// maximum-size requests stays within the memory budget and gives memory back; classification load leaves a small
/// request answered first; a kill -9 under load is followed by a clean restart. The tiny model by default;
/// <c>SENTENCEMTL_LOAD_MODEL</c> names another (e.g. all-MiniLM-L6-v2), <c>SENTENCEMTL_LOAD_REQUESTS</c> the burst
/// size (200) and <c>SENTENCEMTL_LOAD_SETTLE_SECONDS</c> the wait after it (30); the numbers go to the test output.
/// </summary>
public sealed class LoadTests(ITestOutputHelper output) : IDisposable
{
    private const long MiB = 1024 * 1024;
    private const long MaxRequestBodyBytes = 8 * MiB;
    private const int MaxRequestTokens = 131_072;

    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task A_burst_of_maximum_size_requests_stays_within_the_memory_budget_and_gives_it_back()
    {
        var (model, name) = Model();
        using var reference = SentenceEncoder.FromPretrained(model);
        byte[] body = MaximumSizeBody(reference, name);
        // Its texts reach the model's maximum length: the server is told to cut them (OpenAI's API has no field for it).
        using var server = ServerProcess.Start(["--model", model, "--SentenceMtl:AutoTruncate", "true"]);
        await server.WaitUntilReadyAsync();
        using var client = Client(server);
        var normal = TinyModel.Sentences(3);
        await AssertNormalRequestAsync(client, reference, name, normal);
        await Task.Delay(TimeSpan.FromSeconds(2));
        long idle = server.Rss;
        double cpuBefore = server.CpuSeconds;

        using var sampler = new RssSampler(server);
        var clock = Stopwatch.StartNew();
        var burst = Enumerable.Range(0, Setting("SENTENCEMTL_LOAD_REQUESTS", 200)).Select(_ => StatusAsync(client, "/v1/embeddings", body)).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(1));
        var during = Stopwatch.StartNew();
        await AssertNormalRequestAsync(client, reference, name, normal);
        during.Stop();
        bool normalBeforeBurstEnd = burst.Any(task => !task.IsCompleted);
        var statuses = await Task.WhenAll(burst);
        var burstTime = clock.Elapsed;
        double cpu = server.CpuSeconds - cpuBefore;
        long peak = Math.Max(sampler.Peak, server.PeakRss);
        await Task.Delay(TimeSpan.FromSeconds(Setting("SENTENCEMTL_LOAD_SETTLE_SECONDS", 30)));
        long after = server.Rss;

        output.WriteLine($"model {name}, body {body.Length} bytes, {statuses.Length} requests in {burstTime.TotalSeconds:0.0} s " +
            $"(server CPU {cpu:0.0} s): {Summary(statuses)}; idle RSS {idle / MiB} MiB, peak {peak / MiB} MiB, " +
            $"{after / MiB} MiB after the settle ({(double)after / idle:0.00}x idle); normal request during the burst " +
            $"{during.Elapsed.TotalMilliseconds:0} ms (before the burst's end: {normalBeforeBurstEnd})");
        output.WriteLine(string.Join('\n', server.Output.Split('\n').Where(l => l.Contains("trimmed", StringComparison.Ordinal))));
        Assert.All(statuses, status => Assert.Contains(status, new[] { 200, 429, 503 }));
        Assert.Contains(200, statuses);
        Assert.True(peak < 1024 * MiB, $"peak RSS {peak / MiB} MiB");
        Assert.True(after <= idle * 1.5, $"RSS {after / MiB} MiB after the burst, idle {idle / MiB} MiB");
    }

    [Fact]
    public async Task Classification_load_leaves_a_small_request_answered_first_and_a_kill_is_followed_by_a_clean_restart()
    {
        var (model, name) = Model();
        using var reference = SentenceEncoder.FromPretrained(model);
        string classifier = Path.Combine(folder.Path, "classifier");
        using (var heads = MultiTaskModel.Create(model, new MultiTaskModelOptions
        {
            Tasks = [new TaskDefinition("topic", ["sports", "tech", "politics"]), new TaskDefinition("sentiment", ["negative", "positive"])],
        }).WithRandomHeads())
        {
            heads.Save(classifier);
        }

        using var server = ServerProcess.Start(["--model", model, "--classifier", classifier]);
        await server.WaitUntilReadyAsync();
        using var client = Client(server);
        var texts = TinyModel.Sentences(2_048).Select(s => string.Join(' ', Enumerable.Repeat(s, 4))).ToArray();
        byte[] classify = JsonSerializer.SerializeToUtf8Bytes(new { inputs = texts[..128] });
        byte[] large = JsonSerializer.SerializeToUtf8Bytes(new { input = texts, model = name });

        var load = Enumerable.Range(0, 64).Select(_ => StatusAsync(client, "/classify", classify))
            .Append(StatusAsync(client, "/v1/embeddings", large)).ToArray();
        // Once the first answer of the load is out, the worker is busy with the rest: a fixed wait was longer than the
        // whole load on the tiny model once the server ran untiered and tokenized once.
        await Task.WhenAny(load);
        var small = Stopwatch.StartNew();
        await AssertNormalRequestAsync(client, reference, name, ["the team won the game"]);
        small.Stop();
        bool answeredFirst = load.Any(task => !task.IsCompleted);
        var statuses = await Task.WhenAll(load);
        output.WriteLine($"model {name}: 64 x /classify (128 texts) + 1 x 2,048 texts: {Summary(statuses)}; small request " +
            $"{small.Elapsed.TotalMilliseconds:0} ms, answered before the load's end: {answeredFirst}");
        Assert.All(statuses, status => Assert.Contains(status, new[] { 200, 429, 503 }));
        Assert.True(answeredFirst, "the small request waited for the whole load");

        // kill -9 under load, then a clean start on the same port.
        var again = Enumerable.Range(0, 8).Select(_ => StatusAsync(client, "/classify", classify, expectFailure: true)).ToArray();
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        server.Kill();
        await Task.WhenAll(again);
        using var restarted = ServerProcess.Start(["--model", model, "--classifier", classifier], server.Address.Port);
        await restarted.WaitUntilReadyAsync();
        using var fresh = Client(restarted);
        await AssertNormalRequestAsync(fresh, reference, name, ["the team won the game"]);
        Assert.Equal(200, await StatusAsync(fresh, "/classify", classify));
    }

    private (string Model, string Name) Model()
    {
        if (Environment.GetEnvironmentVariable("SENTENCEMTL_LOAD_MODEL") is { Length: > 0 } model)
        {
            return (model, Directory.Exists(model) ? Path.GetFileName(Path.TrimEndingDirectorySeparator(model)) : model);
        }

        return (TinyModel.CreateFolder(Path.Combine(folder.Path, "tiny")), "tiny");
    }

    /// <summary>The largest request the default limits accept: as many texts as the token cap allows when each reaches
    /// the model's maximum length, as long as fit in the 8 MiB body limit.</summary>
    private static byte[] MaximumSizeBody(SentenceEncoder reference, string name)
    {
        int count = Math.Min(2_048, MaxRequestTokens / reference.MaxSequenceLength);
        int characters = (int)Math.Min(32_768, (MaxRequestBodyBytes - 200) / count - 3);
        var words = new StringBuilder();
        for (int i = 0; words.Length < characters; i++)
        {
            words.Append(TinyModel.Words[i % TinyModel.Words.Length]).Append(' ');
        }

        string text = words.ToString(0, characters);
        Assert.Equal(reference.MaxSequenceLength, reference.Tokenize(text).Length);
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(new { input = Enumerable.Repeat(text, count).ToArray(), model = name });
        Assert.InRange(body.Length, MaxRequestBodyBytes - 64 * 1024, MaxRequestBodyBytes);
        return body;
    }

    /// <summary>A client as curl behaves with large bodies: <c>Expect: 100-continue</c>, so that a request the server
    /// refuses before reading its body (429/503) gets its answer instead of a connection closed under its upload.</summary>
    private static HttpClient Client(ServerProcess server) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = int.MaxValue,
        Expect100ContinueTimeout = TimeSpan.FromMinutes(1),
    })
    {
        BaseAddress = server.Address,
        Timeout = TimeSpan.FromMinutes(10),
    };

    /// <summary>Posts <paramref name="body"/> (with its length) and returns the status code; with
    /// <paramref name="expectFailure"/>, a connection closed by a killed server gives 0.</summary>
    private static async Task<int> StatusAsync(HttpClient client, string path, byte[] body, bool expectFailure = false)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.ExpectContinue = true;
        try
        {
            using var response = await client.SendAsync(request);
            await response.Content.ReadAsByteArrayAsync();
            return (int)response.StatusCode;
        }
        catch (HttpRequestException) when (expectFailure)
        {
            return 0;
        }
    }

    /// <summary>A normal request: 200, with exactly the vectors in-process <c>Encode</c> gives.</summary>
    private static async Task AssertNormalRequestAsync(HttpClient client, SentenceEncoder reference, string name, string[] texts)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(new { input = texts, model = name }));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync("/v1/embeddings", content);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        using var json = JsonDocument.Parse(text);
        var vectors = json.RootElement.GetProperty("data").EnumerateArray()
            .Select(d => d.GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray()).ToArray();
        Assert.Equal(reference.Encode(texts), vectors);
    }

    private static string Summary(int[] statuses) =>
        string.Join(", ", statuses.GroupBy(s => s).OrderBy(g => g.Key).Select(g => $"{g.Count()} x {g.Key}"));

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int value) ? value : fallback;

    /// <summary>Samples the server's RSS every 50 ms until disposed.</summary>
    private sealed class RssSampler : IDisposable
    {
        private readonly CancellationTokenSource stop = new();
        private readonly Task sampling;
        private long peak;

        public RssSampler(ServerProcess server) => sampling = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested && !server.HasExited)
            {
                Interlocked.Exchange(ref peak, Math.Max(Interlocked.Read(ref peak), server.Rss));
                await Task.Delay(50);
            }
        });

        public long Peak => Interlocked.Read(ref peak);

        public void Dispose()
        {
            stop.Cancel();
            sampling.Wait();
            stop.Dispose();
        }
    }
}
