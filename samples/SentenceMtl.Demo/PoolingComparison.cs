using Spectre.Console;

namespace SentenceMtl.Demo;

/// <summary>
/// The demo's first section: cosine similarities of paraphrase and unrelated sentence pairs under each pooling, in one
/// table (rows: pairs, columns: poolings), so the gap that makes a pooling useful is read at a glance.
/// </summary>
internal static class PoolingComparison
{
    /// <summary>The pairs compared: two paraphrases, then two unrelated pairs.</summary>
    public static IReadOnlyList<(string Kind, string First, string Second)> Pairs { get; } =
    [
        ("paraphrase", "A man is playing a guitar on stage.", "Someone performs a song with a guitar."),
        ("paraphrase", "The stock market fell sharply this morning.", "Share prices dropped heavily in early trading."),
        ("unrelated", "A man is playing a guitar on stage.", "The stock market fell sharply this morning."),
        ("unrelated", "The cat is asleep on the sofa.", "Share prices dropped heavily in early trading."),
    ];

    /// <summary>
    /// The poolings shown. <see cref="PoolingStrategy.MeanSqrtLen"/> is left out: it scales the mean by each sentence's
    /// sqrt(token count), a per-sentence factor that cosine similarity cancels, so its column would repeat Mean's.
    /// </summary>
    public static IReadOnlyList<PoolingStrategy> Poolings { get; } = [PoolingStrategy.Cls, PoolingStrategy.Mean, PoolingStrategy.Max];

    /// <summary>Per pooling (in <see cref="Poolings"/> order), the cosine similarity of each pair (in <see cref="Pairs"/> order).</summary>
    /// <param name="encoderFor">An encoder of the backbone with the given pooling (the caller owns and disposes it).</param>
    /// <param name="cancellationToken">Stops the encoding.</param>
    public static double[][] Similarities(Func<PoolingStrategy, SentenceEncoder> encoderFor, CancellationToken cancellationToken)
    {
        var sentences = Pairs.SelectMany(p => new[] { p.First, p.Second }).Distinct(StringComparer.Ordinal).ToList();
        return [.. Poolings.Select(pooling =>
        {
            var vectors = encoderFor(pooling).Encode(sentences, cancellationToken);
            return Pairs.Select(p => (double)SentenceEncoder.CosineSimilarity(
                vectors[sentences.IndexOf(p.First)], vectors[sentences.IndexOf(p.Second)])).ToArray();
        })];
    }

    /// <summary>The table: a row per pair, a column per pooling (the model's own marked), and the paraphrase−unrelated gap.</summary>
    /// <param name="similarities">From <see cref="Similarities"/>.</param>
    /// <param name="trainedWith">The pooling the model was trained with.</param>
    public static Table ToTable(double[][] similarities, PoolingStrategy trainedWith)
    {
        var table = new Table().AddColumn("pair").AddColumn("sentences");
        foreach (var pooling in Poolings)
        {
            table.AddColumn(new TableColumn(pooling == trainedWith ? $"[bold]{pooling}*[/]" : pooling.ToString()).RightAligned());
        }
        for (int row = 0; row < Pairs.Count; row++)
        {
            var (kind, first, second) = Pairs[row];
            var cells = new List<string> { kind, Markup.Escape($"{first} / {second}") };
            cells.AddRange(similarities.Select(column => ResultTables.Format(column[row], 2)));
            table.AddRow(cells.ToArray());
        }
        var gap = new List<string> { "[bold]gap[/]", "lowest paraphrase − highest unrelated (higher separates better)" };
        gap.AddRange(similarities.Select(column => $"[bold]{ResultTables.Format(Gap(column), 2)}[/]"));
        table.AddRow(gap.ToArray());
        return table;
    }

    /// <summary>The lowest paraphrase similarity minus the highest unrelated one.</summary>
    public static double Gap(double[] column) =>
        Enumerable.Range(0, Pairs.Count).Where(i => Pairs[i].Kind == "paraphrase").Min(i => column[i])
        - Enumerable.Range(0, Pairs.Count).Where(i => Pairs[i].Kind != "paraphrase").Max(i => column[i]);
}
