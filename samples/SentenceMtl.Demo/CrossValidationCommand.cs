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
        EncoderQuantization[] variants = arguments.CompareQuantization ? [EncoderQuantization.None, EncoderQuantization.Int8] : [arguments.Quantization];
        var columns = variants.SelectMany(v => tasks.Select(t => (Variant: v, Task: t.Name))).ToArray();
        console.WriteLine(arguments.CompareQuantization
            ? "macro-F1 of each fold's model evaluated in float32, then saved, loaded with int8 and evaluated again (trained once, in float32)."
            : $"macro-F1, predicted in {QuantizedEvaluation.Name(arguments.Quantization)} (trained in float32).");
        bool plain = !TrainingDisplay.IsInteractive(console);
        var scores = columns.ToDictionary(c => c, _ => new List<double>());
        var table = new Table().AddColumn("fold").AddColumn(new TableColumn("train").RightAligned()).AddColumn(new TableColumn("test").RightAligned());
        table.AddColumns([.. columns.Select(c => new TableColumn(Header(c, arguments)).RightAligned()), new TableColumn("time").RightAligned()]);

        var total = Stopwatch.StartNew();
        for (int f = 0; f < k; f++)
        {
            var foldWatch = Stopwatch.StartNew();
            var heldOut = new HashSet<int>(folds[f]);
            var train = data.Subset(Enumerable.Range(0, data.Count).Where(i => !heldOut.Contains(i)));
            var test = data.Subset(folds[f]);
            using var model = Recipe.CreateModel(arguments.ModelName, arguments.Strategy, arguments.Seed, arguments.Quantization);
            var trainer = new MultiTaskTrainer(model, options);
            string title = string.Create(CultureInfo.InvariantCulture, $"fold {f + 1}/{k}");
            TrainingDisplay.Train(console, trainer, train, validation, title, epochLines: false, cancellationToken);
            foreach (var variant in variants)
            {
                var reports = QuantizedEvaluation.Evaluate(model, variant, test, cancellationToken);
                foreach (var task in tasks)
                {
                    scores[(variant, task.Name)].Add(reports.TryGetValue(task.Name, out var report) ? report.MacroAverage.F1Score : double.NaN);
                }
            }
            table.AddRow([title, train.Count.ToString(CultureInfo.InvariantCulture), test.Count.ToString(CultureInfo.InvariantCulture),
                .. columns.Select(c => ResultTables.Format(scores[c][^1])), ResultTables.Seconds(foldWatch.Elapsed)]);
            if (plain)
            {
                console.WriteLine($"{title}: {string.Join(", ", columns.Select(c => $"{Header(c, arguments)} {ResultTables.Format(scores[c][^1])}"))} ({ResultTables.Seconds(foldWatch.Elapsed)})");
            }
        }
        table.AddRow(["mean ± std", "", "", .. columns.Select(c => MeanCell(scores[c])), $"[bold]{ResultTables.Seconds(total.Elapsed)}[/]"]);
        console.Write(table);
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{k} folds in {ResultTables.Seconds(total.Elapsed)}; std is the population standard deviation over folds (numpy's default)."));
        return DemoApp.Success;
    }

    /// <summary>The bold <c>mean ± std</c> of a column's scores.</summary>
    private static string MeanCell(IEnumerable<double> scores)
    {
        var (average, deviation) = MeanAndStandardDeviation(scores);
        return $"[bold]{ResultTables.Format(average)} ± {ResultTables.Format(deviation)}[/]";
    }

    /// <summary>A score column's name: the task, and the quantization when comparing.</summary>
    private static string Header((EncoderQuantization Variant, string Task) column, DemoArguments arguments) =>
        arguments.CompareQuantization ? $"{column.Task} {QuantizedEvaluation.Name(column.Variant)}" : $"{column.Task} macro-F1";

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
