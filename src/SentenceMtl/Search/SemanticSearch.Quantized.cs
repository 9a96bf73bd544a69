using SentenceMtl.Search;

namespace SentenceMtl;

public static partial class SemanticSearch
{
    /// <summary>Most dimensions of an int8 search: a code product is at most 128² = 16,384, and their sum must fit an int.</summary>
    private const int MaxInt8Dimension = int.MaxValue / 16_384;

    /// <summary>
    /// Top-k search over an int8 corpus, as sentence-transformers' <c>semantic_search_usearch(corpus_precision="int8")</c>:
    /// the queries are quantized with <paramref name="calibration"/>, candidates ranked by the integer inner product of
    /// the codes, then (by default) the best <c>RescoreMultiplier × topK</c> are re-ranked by the dot product of the
    /// float query with the dequantized corpus row (<see cref="Int8Calibration.Dequantize"/>).
    /// </summary>
    /// <param name="queries">Float query embeddings (may be empty).</param>
    /// <param name="corpus">The corpus quantized with <paramref name="calibration"/> (may be empty).</param>
    /// <param name="calibration">The calibration the corpus was quantized with.</param>
    /// <param name="topK">Hits per query, at least 1.</param>
    /// <param name="options">Rescoring; null for the defaults.</param>
    /// <param name="cancellationToken">Stops the search between corpus blocks.</param>
    /// <returns>One list per query of min(topK, corpus size) hits, best first (ties: lower index).</returns>
    /// <remarks>
    /// sentence-transformers rescores with the raw codes; the dequantized values are the embedding's own scale, so for
    /// normalized embeddings the rescored scores are close to the float cosine scores. The dot product ranks as cosine
    /// only for normalized embeddings (the embedded models' default).
    /// </remarks>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">A row is null, not finite, or not of the calibration's dimension.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="topK"/> or the multiplier is below 1.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static IReadOnlyList<IReadOnlyList<SearchHit>> SearchInt8(
        float[][] queries, sbyte[][] corpus, Int8Calibration calibration, int topK, QuantizedSearchOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(calibration);
        if (calibration.Dimension > MaxInt8Dimension)
        {
            throw new ArgumentException($"The calibration has {calibration.Dimension} dimensions; int8 inner products are summed in 32 bits, which holds at most {MaxInt8Dimension}.", nameof(calibration));
        }

        calibration.CheckDimension(EmbeddingChecks.Dimension(queries, nameof(queries)), nameof(queries));
        EmbeddingChecks.Lengths(corpus, calibration.Dimension, nameof(corpus), "the calibration's dimension");
        options = Checked(options, topK);
        var quantizedQueries = Array.ConvertAll(queries, calibration.QuantizeRow);
        var candidates = Run(new Int8Scorer(quantizedQueries, corpus), queries.Length, corpus.Length, Candidates(topK, options), cancellationToken);
        if (!options.Rescore)
        {
            return candidates;
        }

        var buffer = new float[calibration.Dimension];
        return Rerank(candidates, topK, (q, c) =>
        {
            calibration.DequantizeInto(corpus[c], buffer);
            return ScoreKernel.Pair(SimilarityFunction.DotProduct, queries[q], buffer, 0f, 0f);
        });
    }

    /// <summary>
    /// Top-k search over a binary corpus, as sentence-transformers' <c>semantic_search_usearch(corpus_precision="ubinary")</c>:
    /// the queries are packed (<see cref="BinaryQuantization.Quantize"/>), candidates ranked by Hamming distance, then
    /// (by default) the best <c>RescoreMultiplier × topK</c> are re-ranked by the dot product of the float query with the
    /// corpus bits unpacked to 0 and 1 (the sum of the query's values where the corpus row's bit is set), as
    /// sentence-transformers does.
    /// </summary>
    /// <remarks>
    /// One bit per dimension loses much: scores against the bits cannot tell apart neighbours the bits do not, so more
    /// candidates do not raise recall past a limit that depends on the model (small models suffer most). For recall
    /// close to float search, take top-k × 10 candidates with <c>Rescore = false</c> and re-rank them against the float
    /// embeddings or the int8 codes with <see cref="Rescore"/>.
    /// </remarks>
    /// <param name="queries">Float query embeddings (may be empty).</param>
    /// <param name="corpus">The corpus packed by <see cref="BinaryQuantization.Quantize"/>: ⌈dimension / 8⌉ bytes a row (may be empty).</param>
    /// <param name="topK">Hits per query, at least 1.</param>
    /// <param name="options">Rescoring; null for the defaults.</param>
    /// <param name="cancellationToken">Stops the search between corpus blocks.</param>
    /// <returns>
    /// One list per query of min(topK, corpus size) hits, best first (ties: lower index); without rescoring, scores
    /// are negated Hamming distances.
    /// </returns>
    /// <exception cref="ArgumentNullException">An array is null.</exception>
    /// <exception cref="ArgumentException">A row is null, not finite, or the packed length does not match the queries' dimension.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="topK"/> or the multiplier is below 1.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static IReadOnlyList<IReadOnlyList<SearchHit>> SearchBinary(
        float[][] queries, byte[][] corpus, int topK, QuantizedSearchOptions? options = null, CancellationToken cancellationToken = default)
    {
        int dimension = EmbeddingChecks.Dimension(queries, nameof(queries));
        ArgumentNullException.ThrowIfNull(corpus);
        if (dimension > 0)
        {
            EmbeddingChecks.Lengths(corpus, BinaryQuantization.PackedLength(dimension), nameof(corpus), $"⌈{dimension} / 8⌉ bytes for {dimension}-value queries");
        }

        options = Checked(options, topK);
        var packedQueries = BinaryQuantization.Quantize(queries);
        var candidates = Run(new BinaryScorer(packedQueries, corpus), queries.Length, corpus.Length, Candidates(topK, options), cancellationToken);
        return options.Rescore ? Rerank(candidates, topK, (q, c) => BinaryQuantization.DotWithBits(queries[q], corpus[c])) : candidates;
    }

    private static QuantizedSearchOptions Checked(QuantizedSearchOptions? options, int topK)
    {
        EmbeddingChecks.TopK(topK, nameof(topK));
        options ??= new QuantizedSearchOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.RescoreMultiplier, "options.RescoreMultiplier");
        return options;
    }

    /// <summary>How many candidates the quantized stage keeps per query.</summary>
    private static int Candidates(int topK, QuantizedSearchOptions options) =>
        options.Rescore ? (int)Math.Min((long)topK * options.RescoreMultiplier, int.MaxValue) : topK;

    /// <summary>Each query's candidates re-scored by <paramref name="score"/>(query, corpus index), the best <paramref name="topK"/> kept.</summary>
    private static IReadOnlyList<SearchHit>[] Rerank(IReadOnlyList<IReadOnlyList<SearchHit>> candidates, int topK, Func<int, int, float> score)
    {
        var results = new IReadOnlyList<SearchHit>[candidates.Count];
        for (int q = 0; q < candidates.Count; q++)
        {
            var list = candidates[q] ?? throw new ArgumentNullException(nameof(candidates),
                $"The candidate list of query {q} is null: pass one list per query (an empty list for a query with no candidates).");
            var heap = new TopKHeap(Math.Max(1, Math.Min(topK, list.Count)));
            foreach (var hit in list)
            {
                heap.Add(score(q, hit.CorpusIndex), hit.CorpusIndex);
            }

            results[q] = heap.ToSortedHits();
        }

        return results;
    }
}
