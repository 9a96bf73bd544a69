using System.Diagnostics;
using System.Globalization;
using SentenceMtl.Demo;
using SentenceMtl.Training;
using SentenceMtl.Training.Contrastive;
using TorchSharp;
using static TorchSharp.torch;

namespace SentenceMtl.Benchmarks;

/// <summary>
/// <c>--training-profile [--steps N] [--threads N]</c>: where a contrastive step of the demo's recipe spends its time.
/// Runs the first N steps (default: one epoch) of the recipe's pairs on <c>data/news_train.jsonl</c> as
/// <c>ContrastiveBodyTraining</c> does, with a stopwatch and the process's CPU time around each phase (collate,
/// forward, loss, backward, clipping, AdamW), and the batches' shapes: distinct sentences, padded length, real tokens.
/// </summary>
internal static class TrainingProfileMode
{
    private static readonly string[] Phases = ["collate", "forward", "loss", "backward", "clip", "optimizer"];

    /// <summary>Runs the mode.</summary>
    public static int Run(IReadOnlyList<string> args)
    {
        int? limit = null, threads = null;
        bool freezeWords = false;
        for (int i = 0; i + 1 < args.Count; i += 2)
        {
            switch (args[i])
            {
                case "--steps": limit = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--threads": threads = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--freeze-word-embeddings": freezeWords = bool.Parse(args[i + 1]); break;
                default: throw new ArgumentException($"Unknown option {args[i]} (--steps, --threads, --freeze-word-embeddings).");
            }
        }

        TorchSharpNative.EnsureLoadable();
        if (threads is { } t)
        {
            torch.set_num_threads(t);
        }

        string startLoad = TrainingMode.LoadAverage();
        var data = MultiTaskDataset.Load(Corpus.DataPath("news_train.jsonl"), Recipe.Tasks);
        var options = Recipe.TrainerOptions(TrainingStrategy.Contrastive, Recipe.Seed).Contrastive;
        using var model = Recipe.CreateModel(Recipe.ModelName, TrainingStrategy.Contrastive, Recipe.Seed, EncoderQuantization.None);
        using var trainable = TrainableModel.Create(model, CPU);
        var pairs = ContrastivePairs.Generate([.. model.Tasks.Select(task => data.LabelIndices(task.Name))], options, Recipe.Seed);
        trainable.UnfreezeBackbone();
        var encoder = trainable.Encoder;
        encoder.Backbone.train();
        if (freezeWords)
        {
            encoder.Backbone.Embeddings.WordEmbeddings.weight!.requires_grad = false;          // what the word-embedding matrix costs
        }

        var parameters = encoder.Backbone.parameters().Where(p => p.requires_grad).ToArray();
        using var adam = torch.optim.AdamW(parameters, lr: options.LearningRate);
        var wall = new double[Phases.Length];
        var cpuTime = new double[Phases.Length];
        var tokenize = Stopwatch.StartNew();
        var tokenIds = encoder.TokenizeAll(data.Texts);
        double tokenizeMs = tokenize.Elapsed.TotalMilliseconds;
        long distinct = 0, padded = 0, real = 0;
        int steps = 0;
        var total = Stopwatch.StartNew();
        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        foreach (var batch in pairs.Chunk(options.BatchSize).Take(limit ?? int.MaxValue))
        {
            using var scope = NewDisposeScope();
            int phase = 0;
            var clock = Stopwatch.StartNew();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            void Lap()
            {
                var now = Process.GetCurrentProcess().TotalProcessorTime;
                wall[phase] += clock.Elapsed.TotalMilliseconds;
                cpuTime[phase++] += (now - cpu).TotalMilliseconds;
                cpu = now;
                clock.Restart();
            }

            var rows = batch.SelectMany(p => new[] { p.First, p.Second }).Distinct().ToList();
            var (ids, mask) = encoder.Collate(rows.Select(i => tokenIds[i]).ToArray());
            distinct += rows.Count;
            padded += ids.numel();
            real += rows.Sum(i => tokenIds[i].Length);
            Lap();
            var embeddings = encoder.Embed(ids, mask);
            Lap();
            var first = embeddings.index_select(0, tensor(batch.Select(p => (long)rows.IndexOf(p.First)).ToArray()));
            var second = embeddings.index_select(0, tensor(batch.Select(p => (long)rows.IndexOf(p.Second)).ToArray()));
            var loss = ContrastiveLosses.Compute(options.Loss, first, second, tensor(batch.Select(p => p.Label).ToArray()));
            _ = loss.item<float>();
            Lap();
            adam.zero_grad();
            loss.backward();
            Lap();
            torch.nn.utils.clip_grad_norm_(parameters, options.MaxGradientNorm);
            Lap();
            adam.step();
            Lap();
            steps++;
        }

        var elapsed = total.Elapsed;
        var cpuAll = Process.GetCurrentProcess().TotalProcessorTime - cpuStart;
        encoder.Backbone.eval();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{steps} steps of {options.BatchSize} pairs ({steps * options.BatchSize} pairs) in {elapsed.TotalSeconds:F1} s = {steps * options.BatchSize / elapsed.TotalSeconds:F1} pairs/s, CPU {cpuAll.TotalSeconds:F1} s, libtorch threads {torch.get_num_threads()}, load {startLoad} → {TrainingMode.LoadAverage()}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"per step: {distinct / (double)steps:F1} distinct sentences, padded length {padded / (double)distinct:F1}, real tokens {100.0 * real / padded:F0} % of padded; tokenizing all {data.Count} sentences once: {tokenizeMs:F0} ms"));
        Console.WriteLine("| phase | ms per step | CPU ms per step | share of wall |");
        Console.WriteLine("|---|---:|---:|---:|");
        for (int i = 0; i < Phases.Length; i++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {Phases[i]} | {wall[i] / steps:F1} | {cpuTime[i] / steps:F1} | {100 * wall[i] / elapsed.TotalMilliseconds:F0} % |"));
        }

        return 0;
    }
}
