using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using SentenceMtl.Server;

namespace SentenceMtl.Benchmarks;

/// <summary>
/// <c>--server [clients] [sentences]</c>: SentenceMtl.Server on loopback under load. First in-process <c>Encode</c> of
/// the first <c>sentences</c> (2,000) lines of <c>sentences_10k.txt</c>; then the server (same model, same process, the
/// reference encoder disposed) with <c>clients</c> (64) concurrent clients, each posting one sentence at a time to
/// <c>/v1/embeddings</c> in base64 (what the official clients ask for) until all are sent. Prints both throughputs, their
/// ratio, p50/p99 latency, the mean batch the server formed, the load average, and whether every vector equals
/// in-process <c>Encode</c>'s bit for bit.
/// </summary>
internal static class ServerMode
{
    private const int Rounds = 3;

    /// <summary>Runs the comparison and prints a Markdown table; exit code 1 when a vector differs.</summary>
    public static async Task<int> RunAsync(int clients = 64, int count = 2000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(clients);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var texts = Corpus.Load("sentences", count).Texts;
        string loadBefore = LoadAverage();
        var (reference, inProcess) = InProcess(texts);

        var app = ServerApp.Build(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"]);
        await app.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            await WaitReadyAsync(http);
            await LoadAsync(http, texts.Take(clients * 2).ToArray(), clients);                 // warm-up: JIT, connections
            var (before, _) = await BatchStatsAsync(http);
            var best = (Rate: 0.0, Latencies: Array.Empty<double>(), Vectors: Array.Empty<float[]>());
            for (int round = 0; round < Rounds; round++)
            {
                var run = await LoadAsync(http, texts, clients);
                best = run.Rate > best.Rate ? run : best;
            }

            var (after, batches) = await BatchStatsAsync(http);
            int same = Enumerable.Range(0, texts.Length).Count(i => best.Vectors[i].AsSpan().SequenceEqual(reference[i]));
            var sorted = best.Latencies.Order().ToArray();
            Console.WriteLine($"SentenceMtl.Server on loopback: {texts.Length:N0} sentences, {clients} concurrent clients, best of {Rounds} rounds; {Environment.ProcessorCount} cores.");
            Console.WriteLine();
            Console.WriteLine("| in-process Encode sent/s | server sent/s | ratio | p50 ms | p99 ms | mean batch (texts) | vectors identical | load avg before / after |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---|");
            Console.WriteLine($"| {inProcess:F0} | {best.Rate:F0} | {best.Rate / inProcess:F2}x | {Percentile(sorted, 0.50):F1} | {Percentile(sorted, 0.99):F1} | " +
                $"{(after - before) / Math.Max(1, batches):F1} | {same:N0} / {texts.Length:N0} | {loadBefore} / {LoadAverage()} |");
            return same == texts.Length ? 0 : 1;
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>In-process vectors and the best of <see cref="Rounds"/> timed <c>Encode</c> calls, in sentences per second.</summary>
    private static (float[][] Vectors, double Rate) InProcess(string[] texts)
    {
        using var encoder = SentenceEncoder.FromPretrained(BenchmarkEnvironment.ModelName);
        var vectors = encoder.Encode(texts);                                                      // warm-up, and the reference
        double best = 0;
        for (int round = 0; round < Rounds; round++)
        {
            long start = Stopwatch.GetTimestamp();
            encoder.Encode(texts);
            best = Math.Max(best, texts.Length / Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        return (vectors, best);
    }

    /// <summary><paramref name="clients"/> tasks, each posting the next unsent sentence until none is left.</summary>
    private static async Task<(double Rate, double[] Latencies, float[][] Vectors)> LoadAsync(HttpClient http, string[] texts, int clients)
    {
        var latencies = new double[texts.Length];
        var vectors = new float[texts.Length][];
        int next = -1;
        long start = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            for (int i = Interlocked.Increment(ref next); i < texts.Length; i = Interlocked.Increment(ref next))
            {
                long sent = Stopwatch.GetTimestamp();
                var response = await http.PostAsJsonAsync("/v1/embeddings",
                    new { input = texts[i], model = BenchmarkEnvironment.ModelName, encoding_format = "base64" });
                response.EnsureSuccessStatusCode();
                using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync());
                vectors[i] = Decode(body.RootElement.GetProperty("data")[0].GetProperty("embedding").GetString()!);
                latencies[i] = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
            }
        })));
        return (texts.Length / Stopwatch.GetElapsedTime(start).TotalSeconds, latencies, vectors);
    }

    private static float[] Decode(string base64)
    {
        byte[] bytes = Convert.FromBase64String(base64);
        var vector = new float[bytes.Length / sizeof(float)];
        for (int i = 0; i < vector.Length; i++)
        {
            vector[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * sizeof(float)));
        }

        return vector;
    }

    private static async Task WaitReadyAsync(HttpClient http)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!(await http.GetAsync("/health")).IsSuccessStatusCode)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The server did not become ready within two minutes.");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>The batch-size histogram's sum (texts) and count (batches) from <c>/metrics</c>.</summary>
    private static async Task<(double Texts, double Batches)> BatchStatsAsync(HttpClient http)
    {
        var lines = (await http.GetStringAsync("/metrics")).Split('\n');
        double Value(string name) => lines.Where(l => l.StartsWith(name, StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
        return (Value("sentencemtl_batch_size_sum"), Value("sentencemtl_batch_size_count"));
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
