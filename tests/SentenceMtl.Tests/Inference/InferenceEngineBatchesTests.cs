using SentenceMtl.Inference;

namespace SentenceMtl.Tests.Inference;

/// <summary>How the engine (and the libtorch path) cut sequences into batches: longest first, at most the batch size, and
/// at most <see cref="InferenceEngine.MaxBatchTokens"/> tokens counted as the longest length times the count; or, for
/// the server's passes, into batches of about equal token counts.</summary>
public sealed class InferenceEngineBatchesTests
{
    [Fact]
    public void Long_sequences_make_smaller_batches_and_every_index_appears_once_longest_first()
    {
        var sequences = Enumerable.Range(0, 50).Select(i => new int[i < 10 ? 512 : 12]).ToArray();
        var batches = InferenceEngine.Batches(sequences, batchSize: 32);

        Assert.Equal(Enumerable.Range(0, 50), batches.SelectMany(b => b).Order());
        Assert.All(batches[0], i => Assert.True(i < 10));                                       // the long ones first
        Assert.Equal([8, 8, 32, 2], batches.Select(b => b.Length));                            // 4096 / 512 = 8 (the second: 2 long, 6 short); then 32 of 12 tokens
        Assert.All(batches, b => Assert.True(b.Max(i => sequences[i].Length) * b.Length <= InferenceEngine.MaxBatchTokens));
    }

    [Fact]
    public void A_sequence_longer_than_the_budget_goes_alone()
    {
        var batches = InferenceEngine.Batches([new int[600], new int[600], new int[3]], batchSize: 32, maxTokens: 500);
        Assert.Equal([1, 1, 1], batches.Select(b => b.Length));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Balanced_batches_hold_about_equal_tokens_longest_first(int passes)
    {
        var random = new Random(passes);
        var sequences = Enumerable.Range(0, 41).Select(_ => new int[random.Next(5, 30)]).ToArray();
        long total = sequences.Sum(s => (long)s.Length);
        var batches = InferenceEngine.BalancedBatches(sequences, passes);

        Assert.Equal(passes, batches.Count);
        var order = batches.SelectMany(b => b).ToArray();
        Assert.Equal(Enumerable.Range(0, 41), order.Order());                                   // every index once
        Assert.True(order.Zip(order.Skip(1)).All(p => sequences[p.First].Length >= sequences[p.Second].Length));
        int longest = sequences.Max(s => s.Length);
        Assert.All(batches, b => Assert.InRange(b.Sum(i => (long)sequences[i].Length), total / passes - longest, total / passes + longest));
        if (passes > 1)
        {
            Assert.True(batches[^1].Length > batches[0].Length);                                // the short sequences' batch holds more
        }
    }

    [Fact]
    public void Balanced_batches_split_further_past_the_token_budget_and_never_make_an_empty_batch()
    {
        var many = Enumerable.Range(0, 40).Select(_ => new int[512]).ToArray();                 // 20,480 tokens: 5 × 4,096
        Assert.Equal(5, InferenceEngine.BalancedBatches(many, 2).Count);
        Assert.All(InferenceEngine.BalancedBatches(many, 2), b => Assert.True(b.Length * 512 <= InferenceEngine.MaxBatchTokens));

        var few = new[] { new int[3], new int[400] };
        var batches = InferenceEngine.BalancedBatches(few, 4);                                  // fewer sequences than passes
        Assert.Equal(new[] { new[] { 1 }, new[] { 0 } }, batches);
        Assert.Empty(InferenceEngine.BalancedBatches([], 2));
    }
}
