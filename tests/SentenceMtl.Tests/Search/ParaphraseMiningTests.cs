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

/// <summary>Paraphrase mining's memory, measured over the whole process: in the collection that runs alone, since
/// another test allocating meanwhile would be counted too.</summary>
[Collection(ProcessMemoryCollection.Name)]
public class ParaphraseMiningMemoryTests
{
    [Fact]
    public void Mining_ten_thousand_sentences_never_holds_the_similarity_matrix()
    {
        // The 10,000 × 10,000 float matrix would be 400 MB; the blocked mining holds lists of 1,024 sentences, two
        // numbers per sentence and the pairs. Counted over all threads of the process, so the test runs alone.
        var embeddings = SearchReference.Random(10_000, 8, seed: 32);
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var pairs = SemanticSearch.ParaphraseMining(embeddings, 3);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.True(allocated < 100_000_000, $"allocated {allocated:N0} bytes");
        Assert.InRange(pairs.Count, 10_000, 30_000);                                             // n·k pairs less those found from both ends
        Assert.All(pairs, p => Assert.True(p.First < p.Second));
        Assert.True(pairs.Zip(pairs.Skip(1)).All(p => p.First.Score >= p.Second.Score), "pairs must be sorted best first");
        Assert.Equal(pairs.Count, pairs.Select(p => (p.First, p.Second)).Distinct().Count());
    }
}
