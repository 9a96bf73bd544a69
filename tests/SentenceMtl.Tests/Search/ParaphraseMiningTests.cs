namespace SentenceMtl.Tests.Search;

public class ParaphraseMiningTests
{
    [Theory]
    [InlineData(SimilarityFunction.Cosine, 200, 5, false)]
    [InlineData(SimilarityFunction.DotProduct, 200, 5, true)]
    [InlineData(SimilarityFunction.Euclidean, 150, 3, true)]
    [InlineData(SimilarityFunction.Manhattan, 150, 7, false)]
    [InlineData(SimilarityFunction.Cosine, 1100, 4, true)]                                      // two blocks of sentences
    public void Mining_equals_the_brute_force_pairs(SimilarityFunction function, int sentences, int topK, bool coarse)
    {
        var embeddings = SearchReference.Random(sentences, 6, seed: sentences + topK, coarse);
        embeddings[sentences - 1] = (float[])embeddings[0].Clone();                              // an exact duplicate
        var pairs = SemanticSearch.ParaphraseMining(embeddings, topK, function);
        var expected = SearchReference.Paraphrases(embeddings, topK, function);
        Assert.Equal(expected, pairs);
        Assert.All(pairs, p => Assert.True(p.First < p.Second));
    }

    [Fact]
    public void MaxPairs_keeps_the_best_pairs()
    {
        var embeddings = SearchReference.Random(120, 8, seed: 30, coarse: true);
        var all = SemanticSearch.ParaphraseMining(embeddings, 5);
        var best = SemanticSearch.ParaphraseMining(embeddings, 5, maxPairs: 17);
        Assert.Equal(all.Take(17), best);
    }

    [Fact]
    public void TopK_above_the_sentence_count_pairs_everything_once()
    {
        var embeddings = SearchReference.Random(6, 4, seed: 31);
        var pairs = SemanticSearch.ParaphraseMining(embeddings, 100);
        Assert.Equal(15, pairs.Count);
        Assert.Equal(15, pairs.Select(p => (p.First, p.Second)).Distinct().Count());
    }

    [Fact]
    public void Fewer_than_two_sentences_give_no_pairs_and_bad_arguments_are_refused()
    {
        Assert.Empty(SemanticSearch.ParaphraseMining([], 3));
        Assert.Empty(SemanticSearch.ParaphraseMining([[1f, 2f]], 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => SemanticSearch.ParaphraseMining([[1f]], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SemanticSearch.ParaphraseMining([[1f]], 1, maxPairs: 0));
        Assert.Throws<ArgumentNullException>(() => SemanticSearch.ParaphraseMining(null!, 1));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => SemanticSearch.ParaphraseMining([[1f], [2f]], 1, cancellationToken: cancelled.Token));
    }
}
