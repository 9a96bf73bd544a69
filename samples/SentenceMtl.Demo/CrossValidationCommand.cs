using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace SentenceMtl.Demo;

/// <summary>
/// <c>--train FILE --cross-validate K</c>: stratified K-fold cross-validation of the recipe, a fresh model per fold,
/// reporting macro-F1 per task per fold and its mean ± standard deviation.
/// </summary>
internal static class CrossValidationCommand
{
    /// <summary>Runs the mode.</summary>
    /// <returns>The exit code.</returns>
    /// <exception cref="UsageException">More folds than examples.</exception>
    public static int Run(IAnsiConsole console, DemoArguments arguments, CancellationToken cancellationToken)
    {
        var data = DataFiles.Load(arguments.TrainPath!);
        var validation = arguments.ValidationPath is { } path ? DataFiles.Load(path) : null;
        int k = arguments.CrossValidationFolds!.Value;
        if (k > data.Count)
        {
            throw new UsageException($"--cross-validate {k} needs at least {k} examples; {arguments.TrainPath} has {data.Count}.");
        }
        if (arguments.TestPath is not null)
        {
            console.WriteLine("note: --test is not used with --cross-validate.");
        }
        ResultTables.Heading(console, "Data");
        console.Write(DataFiles.Summary(("data", data), ("validation", validation)));

        var tasks = data.Tasks;
        var strata = data.Select(e => StratifiedKFold.StratumOf(e, tasks)).ToArray();
        var smallest = strata.GroupBy(s => s, StringComparer.Ordinal).MinBy(g => g.Count())!;
        if (smallest.Count() < k)
        {
            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"note: stratum '{smallest.Key}' has only {smallest.Count()} examples, fewer than the {k} folds."));
        }
        var folds = StratifiedKFold.Split(strata, k, arguments.Seed);

        var options = arguments.TrainerOptions();
        ResultTables.Heading(console, string.Create(CultureInfo.InvariantCulture, $"{k}-fold cross-validation (stratified on {string.Join(" + ", tasks.Select(t => t.Name))})"));
        console.WriteLine(Recipe.Describe(arguments.ModelName, options));
        bool plain = !TrainingDisplay.IsInteractive(console);
        var scores = tasks.ToDictionary(t => t.Name, _ => new List<double>(), StringComparer.Ordinal);
        var table = new Table().AddColumn("fold").AddColumn(new TableColumn("train").RightAligned()).AddColumn(new TableColumn("test").RightAligned());
        foreach (var task in tasks)
        {
            table.AddColumn(new TableColumn($"{task.Name} macro-F1").RightAligned());
        }
        table.AddColumn(new TableColumn("time").RightAligned());

        var total = Stopwatch.StartNew();
        for (int f = 0; f < k; f++)
        {
            var foldWatch = Stopwatch.StartNew();
            var heldOut = new HashSet<int>(folds[f]);
            var train = data.Subset(Enumerable.Range(0, data.Count).Where(i => !heldOut.Contains(i)));
            var test = data.Subset(folds[f]);
            using var model = Recipe.CreateModel(arguments.ModelName, arguments.Strategy, arguments.Seed);
            var trainer = new MultiTaskTrainer(model, options);
            string title = string.Create(CultureInfo.InvariantCulture, $"fold {f + 1}/{k}");
            TrainingDisplay.Train(console, trainer, train, validation, title, epochLines: false, cancellationToken);
            var reports = model.Evaluate(test, cancellationToken);
            var cells = new List<string> { title, train.Count.ToString(CultureInfo.InvariantCulture), test.Count.ToString(CultureInfo.InvariantCulture) };
            foreach (var task in tasks)
            {
                double f1 = reports.TryGetValue(task.Name, out var report) ? report.MacroAverage.F1Score : double.NaN;
                scores[task.Name].Add(f1);
                cells.Add(ResultTables.Format(f1));
            }
            cells.Add(ResultTables.Seconds(foldWatch.Elapsed));
            table.AddRow(cells.ToArray());
            if (plain)
            {
                console.WriteLine($"{title}: {string.Join(", ", tasks.Select(t => $"{t.Name} {ResultTables.Format(scores[t.Name][^1])}"))} ({ResultTables.Seconds(foldWatch.Elapsed)})");
            }
        }
        var mean = new List<string> { "mean ± std", "", "" };
        foreach (var task in tasks)
        {
            var (average, deviation) = MeanAndStandardDeviation(scores[task.Name]);
            mean.Add($"[bold]{ResultTables.Format(average)} ± {ResultTables.Format(deviation)}[/]");
        }
        mean.Add($"[bold]{ResultTables.Seconds(total.Elapsed)}[/]");
        table.AddRow(mean.ToArray());
        console.Write(table);
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{k} folds in {ResultTables.Seconds(total.Elapsed)}; std is the population standard deviation over folds (numpy's default)."));
        return DemoApp.Success;
    }

    /// <summary>Mean and population standard deviation (ddof = 0), over the finite values.</summary>
    internal static (double Mean, double StandardDeviation) MeanAndStandardDeviation(IEnumerable<double> values)
    {
        var finite = values.Where(double.IsFinite).ToArray();
        if (finite.Length == 0)
        {
            return (double.NaN, double.NaN);
        }
        double mean = finite.Average();
        return (mean, Math.Sqrt(finite.Sum(v => (v - mean) * (v - mean)) / finite.Length));
    }
}
