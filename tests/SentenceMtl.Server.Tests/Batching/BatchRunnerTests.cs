using SentenceMtl.Server.Batching;

namespace SentenceMtl.Server.Tests.Batching;

/// <summary>How many forward passes a coalesced batch runs in: one per engine thread, fewer when a pass would hold
/// fewer than <see cref="EmbeddingRunner.MinPassTokens"/> tokens, never none.</summary>
public sealed class BatchRunnerTests
{
    [Theory]
    [InlineData(40, 12, 2, 2)]                                                                  // 480 tokens: one pass per thread
    [InlineData(40, 12, 4, 2)]                                                                  // 480 tokens hold only two passes of 192
    [InlineData(20, 12, 2, 1)]                                                                  // 240 tokens: one pass
    [InlineData(1, 5, 2, 1)]                                                                    // a single short text
    [InlineData(8, 512, 2, 2)]                                                                  // long texts: one pass per thread
    [InlineData(8, 512, 1, 1)]                                                                  // one thread: one pass
    public void A_batch_runs_in_one_pass_per_thread_unless_passes_would_be_short(int texts, int tokens, int threads, int passes)
    {
        var ids = Enumerable.Range(0, texts).Select(_ => new int[tokens]).ToList();
        Assert.Equal(passes, EmbeddingRunner.Passes(ids, threads));
    }
}
