using System.Globalization;
using Spectre.Console;

namespace SentenceMtl.Demo;

/// <summary>
/// The demo without <c>--train</c>, the product's front page: sentence similarity under each pooling in one table,
/// semantic search over a small corpus, then a topic + sentiment classifier trained SetFit-style, saved, loaded back in
/// int8 and compared; and the time of every stage, each measured on its own.
/// </summary>
internal static class FrontPageDemo
{
    /// <summary>Runs the demo.</summary>
    /// <returns>The exit code.</returns>
    public static int Run(IAnsiConsole console, DemoArguments arguments, CancellationToken cancellationToken)
    {
        var times = new StageTimes();
        Embeddings(console, arguments.ModelName, times, cancellationToken);
        ClassifierExample.Run(console, arguments, times, cancellationToken);

        ResultTables.Heading(console, "Time per stage");
        console.Write(times.ToTable());
        console.WriteLine("More: --help (train and evaluate on your own data, cross-validate, int8, plots, metrics JSON).");
        return DemoApp.Success;
    }

    // Pooling table and search share the backbone loaded with its own pooling; the other poolings load their own copy.
    private static void Embeddings(IAnsiConsole console, string modelName, StageTimes times, CancellationToken cancellationToken)
    {
        var encoders = new Dictionary<PoolingStrategy, SentenceEncoder>();
        try
        {
            var own = times.Measure("embed: load backbone", modelName, () => SentenceEncoder.FromPretrained(modelName));
            encoders[own.Pooling] = own;
            times.Measure("embed: load other poolings", string.Join(", ", PoolingComparison.Poolings.Where(p => p != own.Pooling)), () =>
            {
                foreach (var pooling in PoolingComparison.Poolings.Where(p => p != own.Pooling))
                {
                    encoders[pooling] = SentenceEncoder.FromPretrained(modelName, new SentenceEncoderOptions { Pooling = pooling });
                }
            });

            ResultTables.Heading(console, $"Sentence similarity: {modelName}, {own.Dimension} dimensions");
            var similarities = times.Measure("embed: pooling table", string.Create(CultureInfo.InvariantCulture,
                    $"{PoolingComparison.Pairs.Count} pairs x {PoolingComparison.Poolings.Count} poolings"),
                () => PoolingComparison.Similarities(pooling => encoders[pooling], cancellationToken));
            console.Write(PoolingComparison.ToTable(similarities, own.Pooling));
            console.WriteLine($"{modelName} was trained with {own.Pooling} pooling (*), its default; the search and the classifier below use it. "
                + "MeanSqrtLen is left out: cosine similarity cancels its per-sentence scale, so it would repeat Mean.");

            ResultTables.Heading(console, string.Create(CultureInfo.InvariantCulture,
                $"Semantic search: {SearchExample.Queries.Count} queries over {SearchExample.Corpus.Count} documents"));
            var hits = times.Measure("search", string.Create(CultureInfo.InvariantCulture,
                    $"embed {SearchExample.Corpus.Count} documents and {SearchExample.Queries.Count} queries, exact cosine top-{SearchExample.TopK}"),
                () => SearchExample.Run(own, cancellationToken));
            console.Write(SearchExample.ToTable(hits));
        }
        finally
        {
            foreach (var encoder in encoders.Values)
            {
                encoder.Dispose();
            }
        }
    }
}
