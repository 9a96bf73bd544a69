using System.Globalization;
using Spectre.Console;

namespace SentenceMtl.Demo;

/// <summary>
/// The demo without arguments: sentence embeddings and their similarities under each pooling, then topic and sentiment
/// heads trained on ten labelled sentences with the recipe's strategy (by default the backbone first tuned on pairs
/// built from their labels) and tried on held-out ones.
/// </summary>
internal static class TenSentenceDemo
{
    /// <summary>Sentences for the similarity matrices: two paraphrase pairs and an outsider.</summary>
    public static IReadOnlyList<string> SimilaritySentences { get; } =
    [
        "A man is playing a guitar on stage.",
        "Someone performs a song with a guitar.",
        "The stock market fell sharply this morning.",
        "Share prices dropped heavily in early trading.",
        "The cat is asleep on the sofa.",
    ];

    /// <summary>Runs the demo.</summary>
    /// <returns>The exit code.</returns>
    public static int Run(IAnsiConsole console, DemoArguments arguments, CancellationToken cancellationToken)
    {
        ShowEmbeddings(console, arguments.ModelName, cancellationToken);

        var train = DataFiles.Load(Path.Combine(DataFiles.DemoDirectory, "demo_train.jsonl"));
        var test = DataFiles.Load(Path.Combine(DataFiles.DemoDirectory, "demo_test.jsonl"));
        ResultTables.Heading(console, $"Multi-task model on {train.Count} sentences");
        console.Write(DataFiles.Summary(("train", train), ("test", test)));

        using var model = Recipe.CreateModel(arguments.ModelName, arguments.Strategy, arguments.Seed, arguments.Quantization);
        var trainer = new MultiTaskTrainer(model, arguments.TrainerOptions());
        var (result, elapsed) = TrainingDisplay.Train(console, trainer, train, null, "training", epochLines: false, cancellationToken);
        var first = result.Epochs[0];
        var last = result.Epochs[^1];
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{model.Encoder.ModelId}, {arguments.Strategy}: {result.Epochs.Count} epochs in {ResultTables.Seconds(elapsed)}, loss {first.Loss:F3} -> {last.Loss:F3}"));
        if (result.Contrastive is { } pairs)
        {
            console.WriteLine($"backbone on pairs first: {ResultTables.Describe(pairs)} ({ResultTables.Seconds(pairs.Duration)})");
        }

        var predictions = model.Predict(test.Texts, cancellationToken);
        console.Write(PredictionTable(test, predictions));
        ResultTables.Reports(console, model.Tasks, model.Evaluate(test, cancellationToken), confusionMatrices: false);
        return DemoApp.Success;
    }

    private static void ShowEmbeddings(IAnsiConsole console, string modelName, CancellationToken cancellationToken)
    {
        ResultTables.Heading(console, $"Sentence embeddings: {modelName}");
        var legend = new Table().AddColumn("#").AddColumn("sentence");
        for (int i = 0; i < SimilaritySentences.Count; i++)
        {
            legend.AddRow(Name(i), Markup.Escape(SimilaritySentences[i]));
        }
        console.Write(legend);
        foreach (var pooling in Enum.GetValues<PoolingStrategy>())
        {
            using var encoder = SentenceEncoder.FromPretrained(modelName, new SentenceEncoderOptions { Pooling = pooling });
            var vectors = encoder.Encode(SimilaritySentences, cancellationToken);
            console.WriteLine();
            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{pooling} pooling: {encoder.Dimension}-dimensional embeddings{(encoder.Normalize ? ", L2-normalized" : "")}; cosine similarity"));
            var table = new Table();
            table.AddColumn("");
            for (int j = 0; j < vectors.Length; j++)
            {
                table.AddColumn(new TableColumn(Name(j)).RightAligned());
            }
            for (int i = 0; i < vectors.Length; i++)
            {
                var cells = new List<string> { Name(i) };
                for (int j = 0; j < vectors.Length; j++)
                {
                    string value = ResultTables.Format(SentenceEncoder.CosineSimilarity(vectors[i], vectors[j]), 2);
                    cells.Add(i == j ? $"[grey]{value}[/]" : value);
                }
                table.AddRow(cells.ToArray());
            }
            console.Write(table);
        }
        console.WriteLine("MeanSqrtLen is Mean scaled by each sentence's sqrt(token count), so its cosines equal Mean's.");

        static string Name(int i) => string.Create(CultureInfo.InvariantCulture, $"S{i + 1}");
    }

    private static Table PredictionTable(MultiTaskDataset test, IReadOnlyList<SentencePrediction> predictions)
    {
        var table = new Table().AddColumn("held-out sentence");
        foreach (var task in test.Tasks)
        {
            table.AddColumn($"{task.Name} (probability)");
        }
        for (int i = 0; i < predictions.Count; i++)
        {
            var cells = new List<string> { Markup.Escape(test[i].Text) };
            foreach (var task in test.Tasks)
            {
                var prediction = predictions[i][task.Name];
                string predicted = $"{Markup.Escape(prediction.Label)} ({ResultTables.Format(prediction.Confidence, 2)})";
                cells.Add(!test[i].Labels.TryGetValue(task.Name, out var expected) ? predicted
                    : expected == prediction.Label ? $"[green]{predicted}[/]"
                    : $"[red]{predicted}[/], expected {Markup.Escape(expected)}");
            }
            table.AddRow(cells.ToArray());
        }
        return table;
    }
}
