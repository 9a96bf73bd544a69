namespace SentenceMtl.Search;

/// <summary>Scores a block of queries against a block of corpus rows; larger is more similar.</summary>
internal interface IBlockScorer
{
    /// <summary>
    /// scores[q · corpusCount + c] = score(query queryStart + q, corpus row corpusStart + c) for q &lt; queryCount,
    /// c &lt; corpusCount. Deterministic: a pair scores the same bits in any block.
    /// </summary>
    void Score(int queryStart, int queryCount, int corpusStart, int corpusCount, Span<float> scores);
}
