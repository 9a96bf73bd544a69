using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace SentenceMtl.Demo;

/// <summary><c>--train FILE --test FILE</c>: train with the recipe, evaluate, and optionally save, write metrics and plot.</summary>
internal static class TrainCommand
{
    /// <summary>Runs the mode.</summary>
    /// <returns>The exit code.</returns>
    public static int Run(IAnsiConsole console, DemoArguments arguments, CancellationToken cancellationToken)
    {
        var train = DataFiles.Load(arguments.TrainPath!);
        var test = DataFiles.Load(arguments.TestPath!);
        var validation = arguments.ValidationPath is { } path ? DataFiles.Load(path) : null;
        ResultTables.Heading(console, "Data");
        console.Write(DataFiles.Summary(("train", train), ("validation", validation), ("test", test)));

        var options = arguments.TrainerOptions();
        ResultTables.Heading(console, "Training");
        console.WriteLine(Recipe.Describe(arguments.ModelName, options));
        var watch = Stopwatch.StartNew();
        using var model = Recipe.CreateModel(arguments.ModelName, arguments.Strategy, arguments.Seed, arguments.Quantization);
        var loadTime = watch.Elapsed;
        var trainer = new MultiTaskTrainer(model, options);
        var (result, trainTime) = TrainingDisplay.Train(console, trainer, train, validation, "training", epochLines: true, cancellationToken);

        watch.Restart();
        var reports = model.Evaluate(test, cancellationToken);
        var evaluationTime = watch.Elapsed;
        ResultTables.Reports(console, model.Tasks, reports, confusionMatrices: true);

        ResultTables.Heading(console, "Timing");
        var timing = new Table().AddColumn("step").AddColumn(new TableColumn("time").RightAligned()).AddColumn("");
        timing.AddRow("load model", ResultTables.Seconds(loadTime), Markup.Escape(model.Encoder.ModelId));
        var pairTime = result.Contrastive?.Duration ?? TimeSpan.Zero;
        if (result.Contrastive is { } pairs)
        {
            timing.AddRow("train: backbone on pairs", ResultTables.Seconds(pairTime), ResultTables.Describe(pairs));
        }
        timing.AddRow(result.Contrastive is null ? "training" : "train: heads", ResultTables.Seconds(trainTime - pairTime), string.Create(CultureInfo.InvariantCulture,
            $"{result.Epochs.Count} epochs on {train.Count} examples, best epoch {result.BestEpoch}{(result.StoppedEarly ? ", stopped early" : "")}"));
        timing.AddRow("evaluation", ResultTables.Seconds(evaluationTime), string.Create(CultureInfo.InvariantCulture,
            $"{test.Count} examples, {Markup.Escape(model.Encoder.InferenceBackend)}"));
        console.Write(timing);

        if (arguments.MetricsJsonPath is { } metrics)
        {
            MetricsJson.Write(metrics, model.Tasks, reports);
            console.WriteLine($"metrics: {metrics}");
        }
        if (arguments.SaveDirectory is { } directory)
        {
            model.Save(directory);
            console.WriteLine($"model saved: {directory} (load with MultiTaskModel.Load)");
        }
        if (arguments.PlotsDirectory is { } plots)
        {
            foreach (var file in TrainingPlots.Write(plots, model.Tasks, result, reports))
            {
                console.WriteLine($"plot: {file}");
            }
        }
        return DemoApp.Success;
    }
}
