namespace SentenceMtl.Tests.Search;

public class RescoreTests
{
    [Theory]
    [InlineData(SimilarityFunction.Euclidean)]
    [InlineData(SimilarityFunction.Cosine)]
    [InlineData(SimilarityFunction.DotProduct)]
    public void Rescore_reranks_each_querys_candidates_by_the_float_score(SimilarityFunction function)
    {
        var corpus = SearchReference.Random(300, 12, seed: 50, coarse: true);
        var queries = SearchReference.Random(9, 12, seed: 51);
        var candidates = SemanticSearch.SearchBinary(queries, BinaryQuantization.Quantize(corpus), 30, new QuantizedSearchOptions { Rescore = false });
        var hits = SemanticSearch.Rescore(queries, candidates, c => corpus[c], 5, function);
        for (int q = 0; q < queries.Length; q++)
        {
            var expected = candidates[q].Select(h => new SearchHit(h.CorpusIndex, EmbeddingSimilarity.Compute(queries[q], corpus[h.CorpusIndex], function)))
                .Order(Comparer<SearchHit>.Create(SearchReference.Compare)).Take(5);
            Assert.Equal(expected, hits[q]);
        }
    }

    [Fact]
    public void Rescore_names_bad_vectors_and_mismatched_lists()
    {
        float[][] queries = [[1f, 2f]];
        IReadOnlyList<IReadOnlyList<SearchHit>> candidates = [[new SearchHit(7, 0f)]];
        Assert.Contains("corpusVector(7) returned 3 values; the queries have 2", Assert.Throws<ArgumentException>(() => SemanticSearch.Rescore(queries, candidates, _ => [1f, 2f, 3f], 1)).Message, StringComparison.Ordinal);
        Assert.Contains("corpusVector(7) returned null", Assert.Throws<ArgumentException>(() => SemanticSearch.Rescore(queries, candidates, _ => null!, 1)).Message, StringComparison.Ordinal);
        Assert.Contains("corpusVector(7) returned NaN", Assert.Throws<ArgumentException>(() => SemanticSearch.Rescore(queries, candidates, _ => [1f, float.NaN], 1)).Message, StringComparison.Ordinal);
        Assert.Contains("2 candidate lists for 1 queries", Assert.Throws<ArgumentException>(() => SemanticSearch.Rescore(queries, [[], []], _ => [1f, 2f], 1)).Message, StringComparison.Ordinal);
    }
}
