using SentenceMtl.Search;

namespace SentenceMtl;

/// <summary>
/// Exact nearest-neighbour search over embeddings, as sentence-transformers' <c>util.semantic_search</c> and
/// <c>util.paraphrase_mining</c>: every query is scored against every corpus row, and only the best k per query are
/// kept.
/// </summary>
/// <remarks>
/// Queries are split into chunks scored in parallel on the .NET thread pool; each chunk walks the corpus in blocks
/// and keeps a bounded heap of k entries per query, so memory is the results plus one small block buffer per worker,
/// never queries × corpus. Results are deterministic: best first, ties broken by the lower corpus index.
/// </remarks>
public static partial class SemanticSearch
{
    /// <summary>The <paramref name="topK"/> corpus rows most similar to each query, best first.</summary>
    /// <param name="queries">Query embeddings (may be empty).</param>
    /// <param name="corpus">Corpus embeddings of the queries' dimension (may be empty).</param>
    /// <param name="topK">Hits per query, at least 1; a corpus with fewer rows gives all of them.</param>
    /// <param name="function">The similarity; cosine by default (larger is more similar for every function).</param>
    /// <param name="cancellationToken">Stops the search between corpus blocks.</param>
    /// <returns>One list per query, in query order, of min(<paramref name="topK"/>, corpus size) hits.</returns>
    /// <exception cref="ArgumentNullException">An array is null.</exception>
    /// <exception cref="ArgumentException">A row is null, empty, not finite, or of another dimension (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="topK"/> is below 1, or <paramref name="function"/> is not defined.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static IReadOnlyList<IReadOnlyList<SearchHit>> Search(
        float[][] queries, float[][] corpus, int topK, SimilarityFunction function = SimilarityFunction.Cosine, CancellationToken cancellationToken = default)
    {
        EmbeddingChecks.Dimension(queries, nameof(queries), corpus, nameof(corpus));
        EmbeddingChecks.TopK(topK, nameof(topK));
        EmbeddingChecks.Function(function, nameof(function));
        cancellationToken.ThrowIfCancellationRequested();
        return Run(new FloatScorer(queries, corpus, function), queries.Length, corpus.Length, topK, cancellationToken);
    }

    /// <summary>The top-k of <paramref name="queryCount"/> queries over <paramref name="corpusCount"/> rows scored by <paramref name="scorer"/>.</summary>
    internal static IReadOnlyList<SearchHit>[] Run<TScorer>(TScorer scorer, int queryCount, int corpusCount, int topK, CancellationToken cancellationToken)
        where TScorer : struct, IBlockScorer
    {
        var results = new IReadOnlyList<SearchHit>[queryCount];
        int k = Math.Min(topK, corpusCount);
        if (k == 0)
        {
            Array.Fill(results, Array.Empty<SearchHit>());
            return results;
        }

        var heaps = new TopKHeap[queryCount];
        for (int q = 0; q < queryCount; q++)
        {
            heaps[q] = new TopKHeap(k);
        }

        TopKScan.Run(scorer, 0, queryCount, corpusCount, heaps, excludeSelf: false, cancellationToken);
        for (int q = 0; q < queryCount; q++)
        {
            results[q] = heaps[q].ToSortedHits();
        }

        return results;
    }
}
