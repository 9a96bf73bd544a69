namespace SentenceMtl.Server.Batching;

/// <summary>
/// What a batch runs its texts through. Jobs whose runners are equal share one call; each text's result must not depend
/// on the other texts of its call, so that splitting and merging requests into batches changes no answer.
/// </summary>
internal interface IBatchRunner
{
    /// <summary>One result per text, in order (an array of the job's result type).</summary>
    /// <param name="texts">The batch's texts.</param>
    /// <param name="cancellationToken">Cancelled when every client of the batch has gone; checked between inner batches.</param>
    Array Run(IReadOnlyList<string> texts, CancellationToken cancellationToken);
}

/// <summary>Embeds with <paramref name="Encoder"/> and <paramref name="Settings"/>: the same vectors as
/// <c>Encode</c> gives each text alone (the encoder embeds every text independently of its batch).</summary>
internal sealed record EmbeddingRunner(SentenceEncoder Encoder, EmbeddingSettings Settings) : IBatchRunner
{
    /// <inheritdoc />
    public Array Run(IReadOnlyList<string> texts, CancellationToken cancellationToken) =>
        Encoder.Encode(texts, Settings.ToEncodeOptions(), cancellationToken);
}

/// <summary>Predicts every task of <paramref name="Model"/> for each text.</summary>
internal sealed record ClassifierRunner(MultiTaskModel Model) : IBatchRunner
{
    /// <inheritdoc />
    public Array Run(IReadOnlyList<string> texts, CancellationToken cancellationToken) =>
        Model.Predict(texts, cancellationToken).ToArray();
}
