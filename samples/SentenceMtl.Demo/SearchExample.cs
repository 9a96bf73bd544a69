using Spectre.Console;

namespace SentenceMtl.Demo;

/// <summary>
/// The demo's search section: a dozen short documents embedded once, a few queries that share few words with their
/// answers, and the best hits of each with <see cref="SemanticSearch.Search"/> (exact cosine top-k).
/// </summary>
internal static class SearchExample
{
    /// <summary>Hits shown per query.</summary>
    public const int TopK = 3;

    /// <summary>The corpus: twelve documents on unrelated subjects.</summary>
    public static IReadOnlyList<string> Corpus { get; } =
    [
        "To reset your password, open Settings and choose Account, then Security.",
        "Our office is closed on public holidays and reopens the next working day.",
        "Refunds are paid to the original card within five business days.",
        "The train to the airport leaves every fifteen minutes from platform 4.",
        "Store fresh basil in a glass of water at room temperature, not in the fridge.",
        "Preheat the oven to 200 degrees before baking the bread.",
        "The museum offers free entry on the first Sunday of every month.",
        "Children under twelve must be accompanied by an adult in the pool.",
        "Back up your photos to an external drive at least once a week.",
        "The library lends e-books for up to three weeks.",
        "Drink plenty of water and rest if you have a mild fever.",
        "Parking in the city centre is free after 7 pm.",
    ];

    /// <summary>The queries: none repeats its best answer's wording.</summary>
    public static IReadOnlyList<string> Queries { get; } =
    [
        "I forgot my login, how do I change it?",
        "When will I get my money back?",
        "How do I keep herbs fresh?",
    ];

    /// <summary>Embeds the corpus and the queries with <paramref name="encoder"/> and searches.</summary>
    /// <returns>Per query (in <see cref="Queries"/> order), its <see cref="TopK"/> hits, best first.</returns>
    public static IReadOnlyList<IReadOnlyList<SearchHit>> Run(SentenceEncoder encoder, CancellationToken cancellationToken)
    {
        var corpus = encoder.Encode(Corpus, cancellationToken);
        var queries = encoder.Encode(Queries, cancellationToken);
        return SemanticSearch.Search(queries, corpus, TopK, cancellationToken: cancellationToken);
    }

    /// <summary>The hits as a table: each query, then its hits with their cosine scores.</summary>
    public static Table ToTable(IReadOnlyList<IReadOnlyList<SearchHit>> hits)
    {
        var table = new Table().AddColumn("query").AddColumn(new TableColumn("score").RightAligned()).AddColumn("document");
        for (int q = 0; q < Queries.Count; q++)
        {
            for (int rank = 0; rank < hits[q].Count; rank++)
            {
                var hit = hits[q][rank];
                string document = Markup.Escape(Corpus[hit.CorpusIndex]);
                table.AddRow(rank == 0 ? $"[bold]{Markup.Escape(Queries[q])}[/]" : "", ResultTables.Format(hit.Score, 2),
                    rank == 0 ? $"[green]{document}[/]" : $"[grey]{document}[/]");
            }
        }
        return table;
    }
}
