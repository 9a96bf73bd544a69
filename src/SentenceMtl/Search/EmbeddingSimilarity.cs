using SentenceMtl.Search;

namespace SentenceMtl;

/// <summary>
/// Similarity matrices of embeddings, as sentence-transformers' <c>model.similarity</c> / <c>util.cos_sim</c>:
/// every row of one set against every row of another under a <see cref="SimilarityFunction"/>.
/// </summary>
/// <remarks>
/// Larger is more similar for every function (distances are negated). Cosine of a zero vector with anything is 0.
/// Dot products run in SIMD tiles of several rows at once, and blocks of the result are computed in parallel on the
/// .NET thread pool. For top-k retrieval over a large corpus use <see cref="SemanticSearch.Search"/>, which never
/// holds the whole matrix.
/// </remarks>
public static class EmbeddingSimilarity
{
    /// <summary>The n × m matrix of scores: entry [i, j] compares <paramref name="a"/>[i] with <paramref name="b"/>[j].</summary>
    /// <param name="a">n embeddings of one dimension (n may be 0).</param>
    /// <param name="b">m embeddings of the same dimension (m may be 0).</param>
    /// <param name="function">The similarity; cosine by default.</param>
    /// <returns>The scores; an array with a zero length when either set is empty.</returns>
    /// <exception cref="ArgumentNullException">An array is null.</exception>
    /// <exception cref="ArgumentException">
    /// A row is null, empty, not finite, or of another dimension than the others (the message names it); or n × m is
    /// larger than an array can hold.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="function"/> is not a defined value.</exception>
    public static float[,] Compute(float[][] a, float[][] b, SimilarityFunction function = SimilarityFunction.Cosine)
    {
        EmbeddingChecks.Dimension(a, nameof(a), b, nameof(b));
        EmbeddingChecks.Function(function, nameof(function));
        if ((long)a.Length * b.Length > Array.MaxLength)
        {
            throw new ArgumentException(
                $"A {a.Length} × {b.Length} similarity matrix has more entries than an array can hold ({Array.MaxLength}): compare fewer rows at a time, or use SemanticSearch.Search for the top matches.",
                nameof(b));
        }

        var result = new float[a.Length, b.Length];
        if (a.Length == 0 || b.Length == 0)
        {
            return result;
        }

        var scorer = new FloatScorer(a, b, function);
        int chunks = (a.Length + TopKScan.QueryChunk - 1) / TopKScan.QueryChunk;
        int blocks = (b.Length + TopKScan.CorpusBlock - 1) / TopKScan.CorpusBlock;
        int segments = TopKScan.Segments(chunks, blocks);
        int segmentBlocks = (blocks + segments - 1) / segments;
        Parallel.For(0, chunks * segments, () => new float[TopKScan.QueryChunk * TopKScan.CorpusBlock], (item, _, buffer) =>
        {
            // Work items are (row chunk, column segment): a few rows still spread their columns over every core.
            int q0 = item / segments * TopKScan.QueryChunk, count = Math.Min(TopKScan.QueryChunk, a.Length - q0);
            int first = item % segments * segmentBlocks * TopKScan.CorpusBlock, end = Math.Min(b.Length, first + (segmentBlocks * TopKScan.CorpusBlock));
            for (int c0 = first; c0 < end; c0 += TopKScan.CorpusBlock)
            {
                int block = Math.Min(TopKScan.CorpusBlock, end - c0);
                scorer.Score(q0, count, c0, block, buffer);
                for (int q = 0; q < count; q++)
                {
                    for (int c = 0; c < block; c++)
                    {
                        result[q0 + q, c0 + c] = buffer[(q * block) + c];
                    }
                }
            }

            return buffer;
        }, static _ => { });
        return result;
    }

    /// <summary>The score of one pair, as an entry of <see cref="Compute(float[][], float[][], SimilarityFunction)"/>.</summary>
    /// <param name="a">An embedding.</param>
    /// <param name="b">An embedding of the same dimension.</param>
    /// <param name="function">The similarity; cosine by default.</param>
    /// <returns>The score; larger is more similar.</returns>
    /// <exception cref="ArgumentNullException">An array is null.</exception>
    /// <exception cref="ArgumentException">The lengths differ or are 0, or a value is not finite.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="function"/> is not a defined value.</exception>
    public static float Compute(float[] a, float[] b, SimilarityFunction function = SimilarityFunction.Cosine)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var (rowsA, rowsB) = (new[] { a }, new[] { b });
        EmbeddingChecks.Dimension(rowsA, nameof(a), rowsB, nameof(b));
        EmbeddingChecks.Function(function, nameof(function));
        var norms = (ScoreKernel.Norms(function, rowsA), ScoreKernel.Norms(function, rowsB));
        return ScoreKernel.Pair(function, a, b, norms.Item1?[0] ?? 0f, norms.Item2?[0] ?? 0f);
    }
}
