namespace SentenceMtl.Server.Batching;

/// <summary>
/// What a batch runs its texts' token ids through. Jobs whose runners are equal share one call; each text's result must
/// not depend on the other texts of its call, so that splitting and merging requests into batches changes no answer.
/// </summary>
internal interface IBatchRunner
{
    /// <summary>One result per text, in order (an array of the job's result type).</summary>
    /// <param name="ids">The batch's texts, tokenized as the runner's model tokenizes them for embedding.</param>
    /// <param name="cancellationToken">Cancelled when every client of the batch has gone; checked between inner batches.</param>
    Array Run(IReadOnlyList<int[]> ids, CancellationToken cancellationToken);
}

/// <summary>Embeds with <paramref name="Encoder"/> and <paramref name="Options"/>: the same vectors as
/// <c>Encode</c> gives each text alone (the encoder embeds every text independently of its batch).</summary>
internal sealed record EmbeddingRunner(SentenceEncoder Encoder, EncodeOptions Options) : IBatchRunner
{
    /// <inheritdoc />
    public Array Run(IReadOnlyList<int[]> ids, CancellationToken cancellationToken) =>
        Encoder.EncodeTokenized(ids, Options with { BatchSize = InnerBatchSize(ids, Encoder) }, cancellationToken);

    /// <summary>
    /// The encoder's batch size for a coalesced batch: two inner batches per engine thread, which the engine runs side
    /// by side, each on one thread. One forward pass over the whole batch would split every product between the threads
    /// and hand work over at each of its kernels; inner batches of the encoder's default 32 split a typical coalesced
    /// batch of 38 short texts 32 + 6, and one thread then waits for the other. Measured with the benchmark's server
    /// mode (64 clients, 2 cores, quiet): CPU efficiency 0.76 and throughput 0.70x as one pass, 0.85 and 0.63x at 32,
    /// 0.81–0.85 and 0.74–0.80x with two per thread (docs/performance.md). The batch's tokens are bounded by
    /// <see cref="ServerOptions.MaxBatchTokens"/> (a single longer text runs alone), so memory stays bounded.
    /// </summary>
    internal static int InnerBatchSize(IReadOnlyList<int[]> ids, SentenceEncoder encoder)
    {
        int batches = 2 * encoder.Engine.Threads;
        return Math.Max(1, (ids.Count + batches - 1) / batches);
    }
}

/// <summary>Predicts every task of <paramref name="Model"/> for each text (an array of <see cref="TaskPrediction"/>
/// arrays, one per text).</summary>
internal sealed record ClassifierRunner(MultiTaskModel Model) : IBatchRunner
{
    /// <inheritdoc />
    public Array Run(IReadOnlyList<int[]> ids, CancellationToken cancellationToken) =>
        Model.PredictTokenized(ids, EncodeOptions.Default with { BatchSize = EmbeddingRunner.InnerBatchSize(ids, Model.Encoder) },
            cancellationToken);
}
