using System.Globalization;
using Spectre.Console;

namespace SentenceMtl.Demo;

/// <summary>
/// The front page's classifier: topic and sentiment heads trained SetFit-style (the backbone on a few labelled pairs,
/// then the heads) on data/news_train.jsonl, tried on held-out sentences, then saved, loaded back with an int8 encoder
/// and compared with the float32 predictions.
/// </summary>
internal static class ClassifierExample
{
    /// <summary>Trains, predicts, saves, loads in int8 and compares; every stage's time goes into <paramref name="times"/>.</summary>
    public static void Run(IAnsiConsole console, DemoArguments arguments, StageTimes times, CancellationToken cancellationToken)
    {
        var train = DataFiles.Load(Path.Combine(DataFiles.DemoDirectory, Recipe.FrontPageTrainFile));
        var heldOut = MultiTaskDataset.Create(Recipe.Tasks,
            Recipe.FrontPageHeldOutFiles.SelectMany(file => DataFiles.Load(Path.Combine(DataFiles.DemoDirectory, file))));
        ResultTables.Heading(console, $"Classifier: topic and sentiment heads trained on {train.Count} sentences");
        console.Write(DataFiles.Summary(("train", train), ("held out", heldOut)));

        var options = arguments.FrontPageTrainerOptions();
        bool capped = options.Strategy == TrainingStrategy.Contrastive && options.Contrastive.MaxPairs > 0;
        console.WriteLine(Recipe.Describe(arguments.ModelName, options)
            + (capped ? string.Create(CultureInfo.InvariantCulture, $", at most {options.Contrastive.MaxPairs} pairs") : ""));
        if (capped)
        {
            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"The pair stage is capped at {options.Contrastive.MaxPairs} pairs to keep the demo short: on 150 sentences it shows ")
                + "the SetFit pipeline and its cost more than it changes the backbone (with "
                + $"{Recipe.ModelName} and seed {Recipe.Seed}, --strategy heads gives the same held-out labels). "
                + "--pair-iterations 10 runs the recipe's full stage.");
        }
        using var model = times.Measure("train: load backbone", arguments.ModelName,
            () => Recipe.CreateModel(arguments.ModelName, arguments.Strategy, arguments.Seed, arguments.Quantization));
        var trainer = new MultiTaskTrainer(model, options);
        var cpuAtStart = StageTimes.ProcessCpu();
        TimeSpan? cpuAfterPairs = null;                                                     // taken when the last pair step is reported
        var (result, elapsed) = TrainingDisplay.Train(console, trainer, train, null, "training", epochLines: false, cancellationToken,
            p => cpuAfterPairs = p.Stage == TrainingStage.Contrastive && p.Step == p.TotalSteps ? StageTimes.ProcessCpu() : cpuAfterPairs);
        var cpuAtEnd = StageTimes.ProcessCpu();
        var pairTime = result.Contrastive?.Duration ?? TimeSpan.Zero;
        if (result.Contrastive is { } pairs)
        {
            times.Add("train: backbone on pairs", pairTime, cpuAfterPairs - cpuAtStart, ResultTables.Describe(pairs));
        }
        // The trainer's time outside the pair stage: the heads, and its set-up (the backbone copied into libtorch, the pairs
        // drawn) and hand-back of the trained weights, which it does not time apart.
        string heads = string.Create(CultureInfo.InvariantCulture,
            $"{train.Count} sentences embedded once, {result.Epochs.Count} epochs, loss {result.Epochs[0].Loss:F3} -> {result.Epochs[^1].Loss:F3}");
        times.Add("train: heads + set-up", elapsed - pairTime, cpuAtEnd - (cpuAfterPairs ?? cpuAtStart), heads + "; libtorch set-up, weights handed back");

        var float32 = times.Measure($"predict ({QuantizedEvaluation.Name(model.Encoder.Quantization)})",
            string.Create(CultureInfo.InvariantCulture, $"{heldOut.Count} sentences, {model.Encoder.InferenceBackend}"),
            () => model.Predict(heldOut.Texts, cancellationToken));
        var copy = SavedModelRoundTrip.Run(model, heldOut.Texts, times, cancellationToken);

        console.Write(PredictionTable(heldOut, float32, copy));
        console.WriteLine(Scores(heldOut, float32));
        console.WriteLine(Agreement(float32, copy));
        if (copy.Note is not null)
        {
            console.WriteLine(copy.Note);
        }
    }

    /// <summary>Per task, how many held-out labels <paramref name="predictions"/> got right.</summary>
    public static string Scores(MultiTaskDataset heldOut, IReadOnlyList<SentencePrediction> predictions) =>
        "held-out accuracy: " + string.Join(", ", heldOut.Tasks.Select(task =>
        {
            int right = Enumerable.Range(0, heldOut.Count).Count(i =>
                heldOut[i].Labels.TryGetValue(task.Name, out var expected) && expected == predictions[i][task.Name].Label);
            return string.Create(CultureInfo.InvariantCulture, $"{task.Name} {right}/{heldOut.LabeledCount(task.Name)}");
        }));

    /// <summary>How many labels the loaded copy shares with the model it was saved from, and the largest probability change.</summary>
    public static string Agreement(IReadOnlyList<SentencePrediction> original, SavedModelRoundTrip.Outcome copy)
    {
        int same = 0, total = 0;
        double largest = 0;
        for (int i = 0; i < original.Count; i++)
        {
            foreach (var task in original[i].Tasks)
            {
                var other = copy.Predictions[i][task.Task];
                total++;
                same += other.Label == task.Label ? 1 : 0;
                largest = Math.Max(largest, task.Probabilities.Zip(other.Probabilities, (a, b) => Math.Abs(a - b)).Max());
            }
        }
        return string.Create(CultureInfo.InvariantCulture,
            $"saved, loaded back in {QuantizedEvaluation.Name(copy.Quantization)}: {same} of {total} labels agree with the trained "
            + $"model's, largest probability difference {largest:F3}");
    }

    private static Table PredictionTable(MultiTaskDataset heldOut, IReadOnlyList<SentencePrediction> original, SavedModelRoundTrip.Outcome copy)
    {
        string copyName = QuantizedEvaluation.Name(copy.Quantization);
        var table = new Table().AddColumn("held-out sentence");
        foreach (var task in heldOut.Tasks)
        {
            table.AddColumn($"{task.Name}: p, p {copyName}");
        }
        for (int i = 0; i < heldOut.Count; i++)
        {
            var cells = new List<string> { Markup.Escape(heldOut[i].Text) };
            foreach (var task in heldOut.Tasks)
            {
                var first = original[i][task.Name];
                var second = copy.Predictions[i][task.Name];
                string label = heldOut[i].Labels.TryGetValue(task.Name, out var expected) && expected != first.Label
                    ? $"[red]{Markup.Escape(first.Label)}[/] (expected {Markup.Escape(expected)})"
                    : $"[green]{Markup.Escape(first.Label)}[/]";
                string copied = second.Label == first.Label
                    ? ResultTables.Format(second.Confidence, 2)
                    : $"[red]{Markup.Escape(second.Label)}[/] {ResultTables.Format(second.Confidence, 2)}";
                cells.Add($"{label} {ResultTables.Format(first.Confidence, 2)}, {copied}");
            }
            table.AddRow(cells.ToArray());
        }
        return table;
    }
}
