using System.Diagnostics;
using System.Globalization;
using SentenceMtl.Demo;
using TorchSharp;

namespace SentenceMtl.Benchmarks;

/// <summary>
/// <c>--training [--strategy S] [--pair-iterations N] [--trained-layers N] [--pair-batch-size N] [--pair-learning-rate X] [--threads N] [--trace FILE]</c>: trains the demo's recipe
/// (<c>samples/SentenceMtl.Demo/Recipe.cs</c>, compiled in) on <c>data/news_train.jsonl</c> as the demo does, and prints
/// wall time per stage, pairs/s, the process's CPU seconds, peak RSS and the load average. <c>--trace</c> writes every
/// contrastive step's loss, every head epoch's loss and the trained model's probabilities on the training sentences
/// (round-trip floats), so two builds can be compared bit for bit with <c>diff</c>.
/// </summary>
internal static class TrainingMode
{
    /// <summary>Runs the mode.</summary>
    public static int Run(IReadOnlyList<string> args)
    {
        var strategy = TrainingStrategy.Contrastive;
        var pairStage = new PairStageArguments();
        int? threads = null;
        string? trace = null;
        for (int i = 0; i + 1 < args.Count; i += 2)
        {
            switch (args[i])
            {
                case "--strategy": strategy = Enum.Parse<TrainingStrategy>(args[i + 1], ignoreCase: true); break;
                case "--threads": threads = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--trace": trace = args[i + 1]; break;
                case var option when pairStage.TryRead(option, args[i + 1]): break;
                default: throw new ArgumentException($"Unknown option {args[i]} (--strategy, {PairStageArguments.Names}, --threads, --trace).");
            }
        }

        TorchSharpNative.EnsureLoadable();
        if (threads is { } t)
        {
            torch.set_num_threads(t);
        }

        string startLoad = LoadAverage();
        var data = MultiTaskDataset.Load(Corpus.DataPath("news_train.jsonl"), Recipe.Tasks);
        var options = Recipe.TrainerOptions(strategy, Recipe.Seed);
        options = options with { Contrastive = pairStage.ApplyTo(options.Contrastive) };

        var wall = Stopwatch.StartNew();
        using var model = Recipe.CreateModel(Recipe.ModelName, strategy, Recipe.Seed, EncoderQuantization.None);
        long rssLoaded = ProcessMemory.Rss;
        var steps = new List<double>();
        var epochs = new List<double>();
        var peaks = new PeakRssByStage("set-up");
        var progress = new ListProgress(p =>
        {
            peaks.Stage = p.Stage == TrainingStage.Contrastive ? "pair steps" : "heads";
            if (p.Stage == TrainingStage.Contrastive)
            {
                steps.Add(p.Loss);
            }
            else if (p.IsEpochEnd)
            {
                epochs.Add(p.Loss);
            }
        });
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var trainWatch = Stopwatch.StartNew();
        var result = new MultiTaskTrainer(model, options).Train(data, progress: progress);
        peaks.Stage = "after Train";
        var trainTime = trainWatch.Elapsed;
        var cpuTrain = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var predictions = model.Predict(data.Texts);
        Console.WriteLine(Recipe.Describe(Recipe.ModelName, options) + $", libtorch threads {torch.get_num_threads()}");
        Console.WriteLine("| contrastive s | pairs/s | heads s | train s | train CPU s | RSS after load MiB | peak RSS MiB | load avg start → end |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---|");
        var stage = result.Contrastive;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {stage?.Duration.TotalSeconds:F1} | {stage?.PairsPerSecond:F1} | {(trainTime - (stage?.Duration ?? TimeSpan.Zero)).TotalSeconds:F1} | {trainTime.TotalSeconds:F1} | {cpuTrain.TotalSeconds:F1} | {ProcessMemory.Mib(rssLoaded)} | {ProcessMemory.Mib(ProcessMemory.PeakRss)} | {startLoad} → {LoadAverage()} |"));
        peaks.Dispose();
        Console.WriteLine($"peak RSS by stage (MiB, sampled every 20 ms; 'heads' runs from the first head epoch's report, so it includes the hand-back): {peaks}");
        if (trace is not null)
        {
            using var writer = new StreamWriter(trace);
            writer.WriteLine($"contrastive epoch losses: {string.Join(' ', stage?.EpochLosses.Select(R) ?? [])}");
            steps.ForEach(l => writer.WriteLine($"pair step {R(l)}"));
            epochs.ForEach(l => writer.WriteLine($"head epoch {R(l)}"));
            foreach (var prediction in predictions)
            {
                writer.WriteLine(string.Join(" | ", prediction.Tasks.Select(p => $"{p.Label} {string.Join(' ', p.Probabilities.Select(x => R(x)))}")));
            }

            Console.WriteLine($"trace: {trace}");
        }

        return 0;
    }

    /// <summary>The 1-, 5- and 15-minute load averages (Linux), as uptime prints them.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static string R(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private sealed class ListProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
