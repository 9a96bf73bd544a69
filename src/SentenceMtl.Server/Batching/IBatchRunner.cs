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
        Encoder.EncodeTokenized(ids, Options with { BatchSize = WholeBatch(ids) }, cancellationToken);

    /// <summary>
    /// The batch as one forward pass where the engine's own token cap allows: a coalesced batch of 38 short texts ran
    /// as 32 + 6 with the encoder's default of 32, and the small passes cost more per text (each kernel's hand-over to
    /// the helper threads is paid per pass). The batch's tokens are bounded by <see cref="ServerOptions.MaxBatchTokens"/>
    /// (a single longer text runs alone) and the engine splits at its own cap, so memory stays bounded.
    /// </summary>
    internal static int WholeBatch(IReadOnlyList<int[]> ids) => Math.Max(1, ids.Count);
}

/// <summary>Predicts every task of <paramref name="Model"/> for each text (an array of <see cref="TaskPrediction"/>
/// arrays, one per text).</summary>
internal sealed record ClassifierRunner(MultiTaskModel Model) : IBatchRunner
{
    /// <inheritdoc />
    public Array Run(IReadOnlyList<int[]> ids, CancellationToken cancellationToken) =>
        Model.PredictTokenized(ids, EncodeOptions.Default with { BatchSize = EmbeddingRunner.WholeBatch(ids) }, cancellationToken);
}
