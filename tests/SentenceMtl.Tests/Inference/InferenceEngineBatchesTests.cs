using SentenceMtl.Inference;

namespace SentenceMtl.Tests.Inference;

/// <summary>How the engine (and the libtorch path) cut sequences into batches: longest first, at most the batch size, and
/// at most <see cref="InferenceEngine.MaxBatchTokens"/> tokens counted as the longest length times the count.</summary>
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
}
