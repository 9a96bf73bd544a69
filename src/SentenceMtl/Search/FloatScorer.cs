namespace SentenceMtl.Search;

/// <summary>Float queries against float corpus rows under one <see cref="SimilarityFunction"/>.</summary>
/// <remarks>
/// Dot products (dot and cosine) go through <see cref="ScoreKernel.DotTile"/> with the four corpus rows outermost, so
/// they stay in the first-level cache while every query of the block passes over them; the two distances score
/// pair by pair.
/// </remarks>
internal readonly struct FloatScorer : IBlockScorer
{
    private readonly float[][] queries;
    private readonly float[][] corpus;
    private readonly SimilarityFunction function;
    private readonly float[]? queryNorms;
    private readonly float[]? corpusNorms;

    /// <summary>A scorer over already checked rows (see <see cref="EmbeddingChecks"/>).</summary>
    public FloatScorer(float[][] queries, float[][] corpus, SimilarityFunction function)
    {
        this.queries = queries;
        this.corpus = corpus;
        this.function = function;
        queryNorms = ScoreKernel.Norms(function, queries);
        corpusNorms = ReferenceEquals(queries, corpus) ? queryNorms : ScoreKernel.Norms(function, corpus);
    }

    /// <inheritdoc/>
    public void Score(int queryStart, int queryCount, int corpusStart, int corpusCount, Span<float> scores)
    {
        if (function is SimilarityFunction.Euclidean or SimilarityFunction.Manhattan)
        {
            for (int q = 0; q < queryCount; q++)
            {
                for (int c = 0; c < corpusCount; c++)
                {
                    scores[(q * corpusCount) + c] = ScoreKernel.Pair(function, queries[queryStart + q], corpus[corpusStart + c], 0f, 0f);
                }
            }

            return;
        }

        Dots(queryStart, queryCount, corpusStart, corpusCount, scores);
        for (int q = 0; q < queryCount; q++)
        {
            for (int c = 0; c < corpusCount; c++)
            {
                ref float s = ref scores[(q * corpusCount) + c];
                float[] x = queries[queryStart + q], y = corpus[corpusStart + c];
                s = queryNorms is not null && corpusNorms is not null
                    ? ScoreKernel.Cosine(x, y, s, queryNorms[queryStart + q], corpusNorms[corpusStart + c])
                    : ScoreKernel.Finished(function, x, y, s);
            }
        }
    }

    private void Dots(int queryStart, int queryCount, int corpusStart, int corpusCount, Span<float> scores)
    {
        Span<float> tile = stackalloc float[8];
        int c = 0;
        for (; c + 4 <= corpusCount; c += 4)
        {
            float[] c0 = corpus[corpusStart + c], c1 = corpus[corpusStart + c + 1], c2 = corpus[corpusStart + c + 2], c3 = corpus[corpusStart + c + 3];
            int q = 0;
            for (; q + 2 <= queryCount; q += 2)
            {
                ScoreKernel.DotTile(queries[queryStart + q], queries[queryStart + q + 1], c0, c1, c2, c3, tile);
                tile[..4].CopyTo(scores.Slice((q * corpusCount) + c, 4));
                tile[4..].CopyTo(scores.Slice(((q + 1) * corpusCount) + c, 4));
            }

            for (; q < queryCount; q++)
            {
                for (int j = 0; j < 4; j++)
                {
                    scores[(q * corpusCount) + c + j] = ScoreKernel.Dot(queries[queryStart + q], corpus[corpusStart + c + j]);
                }
            }
        }

        for (; c < corpusCount; c++)
        {
            for (int q = 0; q < queryCount; q++)
            {
                scores[(q * corpusCount) + c] = ScoreKernel.Dot(queries[queryStart + q], corpus[corpusStart + c]);
            }
        }
    }
}
