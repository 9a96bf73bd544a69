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
    /// <summary>
    /// Fewest tokens worth a forward pass of their own. Every pass streams all of the layers' weights through the
    /// cache once, so short passes cost more per token: in-process <c>Encode</c> of 2,000 short texts (12 tokens
    /// each) took 3.10 CPU-s in batches of 10 texts and 2.97–3.00 in batches of 16 to 32 (docs/performance.md).
    /// </summary>
    internal const int MinPassTokens = 192;

    /// <inheritdoc />
    public Array Run(IReadOnlyList<int[]> ids, CancellationToken cancellationToken) =>
        Encoder.EncodeTokenized(ids, Options, cancellationToken, Passes(ids, Encoder.Engine.Threads));

    /// <summary>
    /// How many forward passes a coalesced batch runs in, side by side, each on one engine thread, with about equal
    /// tokens each: one per thread, fewer when a pass would hold less than <see cref="MinPassTokens"/>. One pass over
    /// the whole batch would split every product between the threads and hand work over at each of its kernels; passes
    /// of a fixed number of texts, longest first, give the thread with the long texts more work, and the other waits.
    /// With 64 single-sentence clients on 2 cores (the benchmark's server mode, nine runs, together with the engine's
    /// sleeping wait) steady CPU efficiency went from a median of 0.82 (four passes of equal counts) to 0.86. A batch
    /// too small for two passes runs as one, whose products the engine splits over its threads. The batch's tokens are
    /// bounded by <see cref="ServerOptions.MaxBatchTokens"/> (a single longer text runs alone), so memory stays bounded.
    /// </summary>
    internal static int Passes(IReadOnlyList<int[]> ids, int threads)
    {
        long tokens = 0;
        foreach (var text in ids)
        {
            tokens += text.Length;
        }

        return (int)Math.Clamp(tokens / MinPassTokens, 1, threads);
    }
}

/// <summary>Predicts every task of <paramref name="Model"/> for each text (an array of <see cref="TaskPrediction"/>
/// arrays, one per text).</summary>
internal sealed record ClassifierRunner(MultiTaskModel Model) : IBatchRunner
{
    /// <inheritdoc />
    public Array Run(IReadOnlyList<int[]> ids, CancellationToken cancellationToken) =>
        Model.PredictTokenized(ids, EncodeOptions.Default, cancellationToken, EmbeddingRunner.Passes(ids, Model.Encoder.Engine.Threads));
}
