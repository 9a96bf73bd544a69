using System.Numerics.Tensors;
using SentenceMtl.Search;

namespace SentenceMtl;

public static partial class SemanticSearch
{
    /// <summary>
    /// Re-ranks each query's candidates by scoring the float query against fuller vectors of the candidates only:
    /// the second stage of a two-stage search, e.g. <see cref="SearchBinary"/> with <c>Rescore = false</c> and
    /// top-k × 10 candidates, rescored with the float embeddings kept on disk, or with the int8 codes
    /// (<see cref="Int8Calibration.Dequantize"/>), as sentence-transformers' quantized-retrieval demo does.
    /// </summary>
    /// <param name="queries">The float queries the candidates were found for.</param>
    /// <param name="candidates">One candidate list per query (corpus indexes; their scores are ignored).</param>
    /// <param name="corpusVector">
    /// The vector to score for a corpus index, of the queries' dimension; called once per candidate, from the calling
    /// thread only, so it may read a file.
    /// </param>
    /// <param name="topK">Hits kept per query, at least 1.</param>
    /// <param name="function">The similarity; cosine by default.</param>
    /// <param name="cancellationToken">Stops the work between queries.</param>
    /// <returns>One list per query of at most <paramref name="topK"/> hits, best first (ties: lower index).</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">
    /// A query is not valid, the candidate lists do not match the queries in number, or <paramref name="corpusVector"/>
    /// returned null, a vector of another dimension or a non-finite value (the message names the index).
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="topK"/> is below 1, or <paramref name="function"/> is not defined.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static IReadOnlyList<IReadOnlyList<SearchHit>> Rescore(
        float[][] queries,
        IReadOnlyList<IReadOnlyList<SearchHit>> candidates,
        Func<int, float[]> corpusVector,
        int topK,
        SimilarityFunction function = SimilarityFunction.Cosine,
        CancellationToken cancellationToken = default)
    {
        int dimension = EmbeddingChecks.Dimension(queries, nameof(queries));
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(corpusVector);
        EmbeddingChecks.TopK(topK, nameof(topK));
        EmbeddingChecks.Function(function, nameof(function));
        if (candidates.Count != queries.Length)
        {
            throw new ArgumentException($"{candidates.Count} candidate lists for {queries.Length} queries: pass the result of the first-stage search for these queries.", nameof(candidates));
        }

        var queryNorms = ScoreKernel.Norms(function, queries);
        return Rerank(candidates, topK, (q, c) =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            var vector = corpusVector(c);
            if (vector is null || vector.Length != dimension)
            {
                throw new ArgumentException($"corpusVector({c}) returned {(vector is null ? "null" : $"{vector.Length} values")}; the queries have {dimension}.", nameof(corpusVector));
            }

            if (!TensorPrimitives.IsFiniteAll<float>(vector))
            {
                throw new ArgumentException($"corpusVector({c}) returned NaN or infinity: corpus vectors must be finite.", nameof(corpusVector));
            }

            float norm = queryNorms is null ? 0f : ScoreKernel.Norm(vector);
            return ScoreKernel.Pair(function, queries[q], vector, queryNorms?[q] ?? 0f, norm);
        });
    }
}
