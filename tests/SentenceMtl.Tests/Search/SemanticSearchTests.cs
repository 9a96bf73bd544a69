namespace SentenceMtl.Tests.Search;

public class SemanticSearchTests
{
    [Theory]
    [InlineData(SimilarityFunction.Cosine, false, 37)]
    [InlineData(SimilarityFunction.DotProduct, false, 37)]
    [InlineData(SimilarityFunction.Euclidean, false, 37)]
    [InlineData(SimilarityFunction.Manhattan, false, 37)]
    [InlineData(SimilarityFunction.DotProduct, true, 37)]
    [InlineData(SimilarityFunction.Cosine, true, 37)]
    [InlineData(SimilarityFunction.DotProduct, true, 150)]
    [InlineData(SimilarityFunction.Cosine, false, 1)]
    public void Search_equals_scoring_every_pair_and_sorting(SimilarityFunction function, bool coarse, int queryCount)
    {
        // 600 rows: a partial corpus block and a partial tile. Few queries split the corpus into segments scanned in
        // parallel, many run query chunks in parallel (two full, one partial); coarse values make many exact ties,
        // which must go to the lower corpus index.
        var queries = SearchReference.Random(queryCount, 10, seed: 10, coarse);
        var corpus = SearchReference.Random(600, 10, seed: 11, coarse);
        corpus[450] = (float[])corpus[3].Clone();
        var hits = SemanticSearch.Search(queries, corpus, topK: 25, function);
        var expected = SearchReference.TopK(queries, corpus, 25, function);
        Assert.Equal(queries.Length, hits.Count);
        for (int q = 0; q < queries.Length; q++)
        {
            Assert.Equal(expected[q], hits[q]);
        }
    }

    [Fact]
    public void Search_is_the_same_on_every_run()
    {
        var queries = SearchReference.Random(200, 24, seed: 12, coarse: true);
        var corpus = SearchReference.Random(3000, 24, seed: 13, coarse: true);
        var first = SemanticSearch.Search(queries, corpus, 10);
        for (int run = 0; run < 3; run++)
        {
            var again = SemanticSearch.Search(queries, corpus, 10);
            for (int q = 0; q < queries.Length; q++)
            {
                Assert.Equal(first[q], again[q]);
            }
        }
    }

    [Fact]
    public void TopK_above_the_corpus_size_returns_the_whole_corpus_sorted()
    {
        var queries = SearchReference.Random(3, 5, seed: 14);
        var corpus = SearchReference.Random(4, 5, seed: 15);
        var hits = SemanticSearch.Search(queries, corpus, topK: 1000);
        var expected = SearchReference.TopK(queries, corpus, 4, SimilarityFunction.Cosine);
        for (int q = 0; q < 3; q++)
        {
            Assert.Equal(expected[q], hits[q]);
        }
    }

    [Fact]
    public void Empty_queries_or_corpus_give_empty_results()
    {
        var some = SearchReference.Random(3, 5, seed: 16);
        Assert.Empty(SemanticSearch.Search([], some, 10));
        var hits = SemanticSearch.Search(some, [], 10);
        Assert.Equal(3, hits.Count);
        Assert.All(hits, Assert.Empty);
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        var some = SearchReference.Random(3, 5, seed: 17);
        Assert.Throws<ArgumentOutOfRangeException>(() => SemanticSearch.Search(some, some, 0));
        Assert.Throws<ArgumentNullException>(() => SemanticSearch.Search(some, null!, 1));
        var ex = Assert.Throws<ArgumentException>(() => SemanticSearch.Search(some, SearchReference.Random(2, 6, seed: 18), 1));
        Assert.Contains("queries have 5 dimensions but corpus have 6", ex.Message, StringComparison.Ordinal);
        Assert.Contains("corpus[1] has 4 values", Assert.Throws<ArgumentException>(() => SemanticSearch.Search(some, [[1, 2, 3, 4, 5], [1, 2, 3, 4]], 1)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cancelled_token_stops_the_search()
    {
        var some = SearchReference.Random(3, 5, seed: 19);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => SemanticSearch.Search(some, some, 1, cancellationToken: cancelled.Token));
    }

    [Fact]
    public void Cancelling_during_a_long_search_stops_it_early()
    {
        // 20,000 × 200,000 × 64 multiply-adds take half a minute or more on two cores; cancellation is checked between
        // corpus blocks, so the search must stop long before (the bound leaves room for a loaded machine). A dedicated
        // thread cancels: a CancellationTokenSource timer fires on the thread pool, which the search and the tests
        // running beside it can keep busy for seconds, and this test measures the search, not the pool's timer.
        var queries = SearchReference.Random(20_000, 64, seed: 20);
        var corpus = SearchReference.Random(200_000, 64, seed: 21);
        using var source = new CancellationTokenSource();
        var cancelledAt = TimeSpan.Zero;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var canceller = new Thread(() =>
        {
            Thread.Sleep(50);
            cancelledAt = watch.Elapsed;
            source.Cancel();
        }) { IsBackground = true };
        canceller.Start();
        Assert.ThrowsAny<OperationCanceledException>(() => SemanticSearch.Search(queries, corpus, 10, cancellationToken: source.Token));
        var stoppedAt = watch.Elapsed;
        canceller.Join();
        Assert.True(stoppedAt - cancelledAt < TimeSpan.FromSeconds(10), $"took {stoppedAt - cancelledAt} to stop after the cancellation");
    }
}
