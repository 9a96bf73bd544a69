namespace SentenceMtl.Tests.Search;

/// <summary>Brute-force references: every pair scored, fully sorted.</summary>
internal static class SearchReference
{
    /// <summary>Random embeddings; with <paramref name="coarse"/>, values from {−1, −0.5, 0, 0.5, 1} so scores tie often.</summary>
    public static float[][] Random(int rows, int dimension, int seed, bool coarse = false)
    {
        var random = new Random(seed);
        var result = new float[rows][];
        for (int i = 0; i < rows; i++)
        {
            result[i] = new float[dimension];
            for (int d = 0; d < dimension; d++)
            {
                result[i][d] = coarse ? (random.Next(5) - 2) / 2f : (float)((random.NextDouble() * 2) - 1);
            }
        }

        return result;
    }

    /// <summary>Best first: higher score, then lower index.</summary>
    public static int Compare(SearchHit a, SearchHit b) =>
        a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.CorpusIndex.CompareTo(b.CorpusIndex);

    /// <summary>The top-k of every query by scoring every pair with <paramref name="score"/> and sorting.</summary>
    public static SearchHit[][] TopK(int queries, int corpus, int topK, Func<int, int, float> score, bool excludeSelf = false)
    {
        var result = new SearchHit[queries][];
        for (int q = 0; q < queries; q++)
        {
            var all = Enumerable.Range(0, corpus).Where(c => !excludeSelf || c != q).Select(c => new SearchHit(c, score(q, c))).ToList();
            all.Sort(Compare);
            result[q] = [.. all.Take(topK)];
        }

        return result;
    }

    /// <summary>The top-k of float embeddings under <paramref name="function"/>, pairs scored by the library's single-pair call.</summary>
    public static SearchHit[][] TopK(float[][] queries, float[][] corpus, int topK, SimilarityFunction function, bool excludeSelf = false) =>
        TopK(queries.Length, corpus.Length, topK, (q, c) => EmbeddingSimilarity.Compute(queries[q], corpus[c], function), excludeSelf);

    /// <summary>Paraphrase mining by brute force: every sentence's top-k others, pairs (i &lt; j) deduplicated, sorted.</summary>
    public static List<ParaphrasePair> Paraphrases(float[][] embeddings, int topK, SimilarityFunction function)
    {
        var lists = TopK(embeddings, embeddings, topK, function, excludeSelf: true);
        var pairs = new Dictionary<(int, int), float>();
        for (int i = 0; i < lists.Length; i++)
        {
            foreach (var hit in lists[i])
            {
                pairs[(Math.Min(i, hit.CorpusIndex), Math.Max(i, hit.CorpusIndex))] = hit.Score;
            }
        }

        return [.. pairs.Select(p => new ParaphrasePair(p.Key.Item1, p.Key.Item2, p.Value))
            .OrderByDescending(p => p.Score).ThenBy(p => p.First).ThenBy(p => p.Second)];
    }
}
