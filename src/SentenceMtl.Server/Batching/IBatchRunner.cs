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
        Encoder.EncodeTokenized(ids, Options, cancellationToken);
}

/// <summary>Predicts every task of <paramref name="Model"/> for each text (an array of <see cref="TaskPrediction"/>
/// arrays, one per text).</summary>
internal sealed record ClassifierRunner(MultiTaskModel Model) : IBatchRunner
{
    /// <inheritdoc />
    public Array Run(IReadOnlyList<int[]> ids, CancellationToken cancellationToken) =>
        Model.PredictTokenized(ids, cancellationToken);
}
