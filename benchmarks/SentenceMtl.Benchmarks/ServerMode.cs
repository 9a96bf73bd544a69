using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace SentenceMtl.Benchmarks;

/// <summary>
/// <c>--server [clients] [sentences] [server]</c>: what serving costs beyond the work it serves, measured as a
/// deployment runs: the server in a process of its own, this process the client.
/// </summary>
/// <remarks>
/// <para>First in-process <c>Encode</c> of the first <c>sentences</c> (2,000) lines of <c>sentences_10k.txt</c>: one
/// warm-up call, then <see cref="Rounds"/> timed calls, each with this process's CPU seconds; <see cref="Rounds"/> more
/// after the server's rounds, so that load that comes or goes during the run weighs on both sides.</para>
/// <para>Then the server: <c>server</c> (a published SentenceMtl.Server executable or dll; default the
/// <c>SentenceMtl.Server.dll</c> built beside this benchmark) started with default settings on a free loopback port. Once
/// <c>/health</c> answers 200 and one request has been answered (the client having warmed up against a server started
/// and stopped before), the first round of <c>sentences</c> requests is the
/// <em>fresh</em> server (what a replica that autoscaling just started gets); that round is also the warm-up, and
/// <see cref="Rounds"/> more rounds are the <em>steady</em> state. In each round <c>clients</c> (64) concurrent clients
/// post one sentence at a time to <c>/v1/embeddings</c> in base64 (the official clients' shape) until all are sent; the
/// server's CPU seconds are read from <c>/proc</c> before and after.</para>
/// <para>Efficiency is in-process <c>Encode</c>'s CPU seconds over the server's for the same sentences; throughput is
/// the server's sentences per second over in-process <c>Encode</c>'s. Each server figure is the median round's; the
/// in-process reference is the lower median of its rounds (the cheaper one, which credits the server nothing). Every vector
/// must equal in-process <c>Encode</c>'s bit for bit.</para>
/// </remarks>
internal static class ServerMode
{
    private const int Rounds = 3;

    /// <summary>The targets of issue 27.</summary>
    private const double EfficiencyTarget = 0.85, ThroughputTarget = 0.7, FreshEfficiencyTarget = 0.7;

    /// <summary>Runs the comparison and prints a Markdown table; exit code 1 when a vector differs.</summary>
    public static async Task<int> RunAsync(int clients = 64, int count = 2000, string? server = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(clients);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var texts = Corpus.Load("sentences", count).Texts;
        string loadBefore = LoadAverage();
        using var encoder = SentenceEncoder.FromPretrained(BenchmarkEnvironment.ModelName);
        var reference = encoder.Encode(texts);                                                   // warm-up, and the reference
        var inProcessBefore = InProcess(encoder, texts);

        server ??= Path.Combine(AppContext.BaseDirectory, "SentenceMtl.Server.dll");
        await WarmUpClientAsync(server, texts, clients);
        using var child = ServerProcess.Start(server);
        using var http = Client(child);
        await child.WaitReadyAsync(http);
        await LoadAsync(http, child, texts.Take(1).ToArray(), 1);                              // the one request a fresh replica has seen
        var fresh = await LoadAsync(http, child, texts, clients);
        var (textsBefore, batchesBefore) = await BatchStatsAsync(http);
        var steady = new List<Round>();
        for (int i = 0; i < Rounds; i++)
        {
            steady.Add(await LoadAsync(http, child, texts, clients));
        }

        var (textsAfter, batchesAfter) = await BatchStatsAsync(http);
        var inProcessAfter = InProcess(encoder, texts);
        var inProcess = inProcessBefore.Concat(inProcessAfter).OrderBy(r => r.ServerCpu).ElementAt(Rounds - 1);   // the lower median: no credit to the server
        var median = steady.OrderBy(r => r.Rate).ElementAt(Rounds / 2);
        int same = steady.Append(fresh).Sum(run => Enumerable.Range(0, texts.Length).Count(i => run.Vectors[i].AsSpan().SequenceEqual(reference[i])));
        int expected = (Rounds + 1) * texts.Length;
        double meanBatch = (textsAfter - textsBefore) / Math.Max(1, batchesAfter - batchesBefore);
        Print(texts.Length, clients, child, inProcess, fresh, median, meanBatch, same, expected, loadBefore);
        Console.WriteLine($"In-process CPU seconds, median of the rounds before the server / after it: {Median(inProcessBefore):F2} / " +
            $"{Median(inProcessAfter):F2} (the reference is the lower median of all {2 * Rounds}, so that a change of load during the run falls on both sides).");
        return same == expected ? 0 : 1;
    }

    /// <summary>
    /// Runs one round against a server that is then stopped: the clients' own first-round costs (their JIT, their
    /// connections) fall there, not on the fresh server measured next, as a deployment's clients are long warm.
    /// </summary>
    private static async Task WarmUpClientAsync(string server, string[] texts, int clients)
    {
        using var child = ServerProcess.Start(server);
        using var http = Client(child);
        await child.WaitReadyAsync(http);
        await LoadAsync(http, child, texts, clients);
    }

    private static HttpClient Client(ServerProcess server) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue }) { BaseAddress = server.Address, Timeout = TimeSpan.FromMinutes(5) };

    private static void Print(int sentences, int clients, ServerProcess child, Round inProcess, Round fresh, Round steady,
        double meanBatch, int same, int expected, string loadBefore)
    {
        Console.WriteLine($"SentenceMtl.Server ({child.Description}) in its own process, this process the client: {sentences:N0} sentences " +
            $"per round as single-sentence /v1/embeddings requests (base64), {clients} concurrent clients; {Environment.ProcessorCount} cores; " +
            $"ready {child.ReadyAfter.TotalSeconds:F1} s after start.");
        Console.WriteLine();
        Console.WriteLine("| run | sent/s | server CPU s | client CPU s | efficiency | throughput | p50 ms | p99 ms |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        Console.WriteLine($"| in-process Encode (lower median of {2 * Rounds}) | {inProcess.Rate:F0} | {inProcess.ServerCpu:F2} | – | 1.00 | 1.00x | – | – |");
        foreach (var (name, run) in new[] { ("fresh server, first round", fresh), ($"steady server (median of {Rounds})", steady) })
        {
            Console.WriteLine($"| {name} | {run.Rate:F0} | {run.ServerCpu:F2} | {run.ClientCpu:F2} | {inProcess.ServerCpu / run.ServerCpu:F2} | " +
                $"{run.Rate / inProcess.Rate:F2}x | {run.Percentile(0.50):F1} | {run.Percentile(0.99):F1} |");
        }

        Console.WriteLine();
        Console.WriteLine($"Targets: steady efficiency {inProcess.ServerCpu / steady.ServerCpu:F2} (≥ {EfficiencyTarget}), steady throughput " +
            $"{steady.Rate / inProcess.Rate:F2}x (≥ {ThroughputTarget}x), fresh efficiency {inProcess.ServerCpu / fresh.ServerCpu:F2} (≥ {FreshEfficiencyTarget}).");
        Console.WriteLine("Steady server CPU seconds by thread: " + string.Join(", ",
            steady.ServerThreads.Where(t => t.Value >= 0.005).OrderByDescending(t => t.Value).Select(t => $"{t.Key} {t.Value:F2}")) + ".");
        Console.WriteLine($"Mean steady batch {meanBatch:F1} texts; vectors identical to in-process Encode: {same:N0} / {expected:N0}; " +
            $"load average before / after: {loadBefore} / {LoadAverage()}.");
    }

    /// <summary><see cref="Rounds"/> timed in-process <c>Encode</c> calls of <paramref name="texts"/>.</summary>
    private static List<Round> InProcess(SentenceEncoder encoder, string[] texts)
    {
        var rounds = new List<Round>();
        using var self = Process.GetCurrentProcess();
        for (int round = 0; round < Rounds; round++)
        {
            self.Refresh();
            var cpu = self.TotalProcessorTime;
            long start = Stopwatch.GetTimestamp();
            encoder.Encode(texts);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            self.Refresh();
            rounds.Add(new Round(texts.Length / seconds, (self.TotalProcessorTime - cpu).TotalSeconds, 0, [], []));
        }

        return rounds;
    }

    /// <summary>The median round's CPU seconds (the upper one of an even count).</summary>
    private static double Median(List<Round> rounds) => rounds.OrderBy(r => r.ServerCpu).ElementAt(rounds.Count / 2).ServerCpu;

    /// <summary><paramref name="clients"/> tasks, each posting the next unsent sentence until none is left.</summary>
    private static async Task<Round> LoadAsync(HttpClient http, ServerProcess server, string[] texts, int clients)
    {
        var latencies = new double[texts.Length];
        var vectors = new float[texts.Length][];
        int next = -1;
        using var self = Process.GetCurrentProcess();
        var clientCpu = self.TotalProcessorTime;
        var serverCpu = server.CpuTime;
        var threadsBefore = server.ThreadCpu();
        long start = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            for (int i = Interlocked.Increment(ref next); i < texts.Length; i = Interlocked.Increment(ref next))
            {
                long sent = Stopwatch.GetTimestamp();
                using var response = await http.PostAsJsonAsync("/v1/embeddings",
                    new { input = texts[i], model = BenchmarkEnvironment.ModelName, encoding_format = "base64" });
                response.EnsureSuccessStatusCode();
                using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync());
                vectors[i] = Decode(body.RootElement.GetProperty("data")[0].GetProperty("embedding").GetString()!);
                latencies[i] = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
            }
        })));
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        self.Refresh();
        var threadsAfter = server.ThreadCpu();
        return new Round(texts.Length / seconds, (server.CpuTime - serverCpu).TotalSeconds, (self.TotalProcessorTime - clientCpu).TotalSeconds,
            [.. latencies.Order()], vectors)
        {
            ServerThreads = threadsAfter.ToDictionary(t => t.Key, t => t.Value - threadsBefore.GetValueOrDefault(t.Key)),
        };
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

    /// <summary>The batch-size histogram's sum (texts) and count (batches) from <c>/metrics</c>.</summary>
    private static async Task<(double Texts, double Batches)> BatchStatsAsync(HttpClient http)
    {
        var lines = (await http.GetStringAsync("/metrics")).Split('\n');
        double Value(string name) => lines.Where(l => l.StartsWith(name, StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
        return (Value("sentencemtl_batch_size_sum"), Value("sentencemtl_batch_size_count"));
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    /// <summary>One round: sentences per second, CPU seconds of the server (or of in-process Encode) and of the
    /// clients, the sorted latencies in ms, and the vectors.</summary>
    private sealed record Round(double Rate, double ServerCpu, double ClientCpu, double[] Latencies, float[][] Vectors)
    {
        /// <summary>The server's CPU seconds by thread name (Linux truncates names to 15 characters).</summary>
        public IReadOnlyDictionary<string, double> ServerThreads { get; init; } = new Dictionary<string, double>();

        public double Percentile(double p) => Latencies[Math.Min(Latencies.Length - 1, (int)(p * Latencies.Length))];
    }

    /// <summary>The server in a child process on a free loopback port; killed on dispose.</summary>
    private sealed class ServerProcess : IDisposable
    {
        private readonly Process process;
        private readonly long started = Stopwatch.GetTimestamp();

        private ServerProcess(Process process, Uri address, string description)
        {
            this.process = process;
            Address = address;
            Description = description;
        }

        public Uri Address { get; }

        public string Description { get; }

        public TimeSpan ReadyAfter { get; private set; }

        /// <summary>The child's CPU time so far (user and system), read afresh.</summary>
        public TimeSpan CpuTime
        {
            get
            {
                process.Refresh();
                return process.TotalProcessorTime;
            }
        }

        /// <summary>CPU seconds so far of the child's threads, summed by thread name (from <c>/proc</c>; empty elsewhere).
        /// The batch worker is ".NET Long Running Task", the engine's helpers "SentenceMtl intra-op N", requests run on the
        /// thread pool (".NET TP Worker") and Kestrel's socket threads.</summary>
        public Dictionary<string, double> ThreadCpu()
        {
            var result = new Dictionary<string, double>();
            string tasks = $"/proc/{process.Id}/task";
            if (!Directory.Exists(tasks))
            {
                return result;
            }

            foreach (string task in Directory.EnumerateDirectories(tasks))
            {
                try
                {
                    string stat = File.ReadAllText(Path.Combine(task, "stat"));
                    int open = stat.IndexOf('('), close = stat.LastIndexOf(')');
                    string name = stat[(open + 1)..close];
                    var fields = stat[(close + 2)..].Split(' ');
                    // Fields 14 and 15 of stat (utime, stime), counted after the name: indexes 11 and 12.
                    double seconds = (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / ClockTicks;
                    result[name] = result.GetValueOrDefault(name) + seconds;
                }
                catch (IOException)
                {
                    // The thread ended meanwhile.
                }
            }

            return result;
        }

        /// <summary>Linux's USER_HZ: /proc reports CPU time in these ticks.</summary>
        private const double ClockTicks = 100;

        /// <summary>Starts <paramref name="path"/> (an executable, or a dll run by this process's <c>dotnet</c>).</summary>
        public static ServerProcess Start(string path)
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"No server at '{path}': build the benchmark, or give a published SentenceMtl.Server.", path);
            }

            int port = FreePort();
            bool dll = path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
            var start = new ProcessStartInfo(dll ? "dotnet" : path)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(path))!,
            };
            if (dll)
            {
                start.ArgumentList.Add(path);
            }

            foreach (string arg in new[] { "--urls", $"http://127.0.0.1:{port}", "--Logging:LogLevel:Default=Warning" })
            {
                start.ArgumentList.Add(arg);
            }

            var process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {path}.");
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) Console.Error.WriteLine($"server: {line}"); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return new ServerProcess(process, new Uri($"http://127.0.0.1:{port}"),
                $"{(dll ? "dotnet " : "")}{Path.GetFileName(path)}, {ReadyToRunState(path)}");
        }

        /// <summary>Polls <c>/health</c> until it answers 200 (two minutes at most).</summary>
        public async Task WaitReadyAsync(HttpClient http)
        {
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (true)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"The server exited with code {process.ExitCode} before it was ready.");
                }

                try
                {
                    using var response = await http.GetAsync("/health");
                    if (response.IsSuccessStatusCode)
                    {
                        ReadyAfter = Stopwatch.GetElapsedTime(started);
                        return;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException("The server did not become ready within two minutes.");
                }

                await Task.Delay(50);
            }
        }

        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }

            process.Dispose();
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        /// <summary>Whether the server's own assembly was compiled ahead of time (ReadyToRun), or is JIT-only IL.</summary>
        private static string ReadyToRunState(string path)
        {
            string assembly = Path.ChangeExtension(path, ".dll");
            if (!File.Exists(assembly))
            {
                return "native executable";
            }

            using var stream = File.OpenRead(assembly);
            using var reader = new System.Reflection.PortableExecutable.PEReader(stream);
            return reader.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0 ? "ReadyToRun" : "JIT";
        }
    }
}
