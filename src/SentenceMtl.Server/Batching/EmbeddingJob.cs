namespace SentenceMtl.Server.Batching;

/// <summary>
/// One request's texts waiting in the <see cref="BatchingQueue"/>: what to embed, with which settings, and where its
/// vectors go. The worker completes <see cref="Completion"/> exactly once (vectors, an error, or cancelled).
/// </summary>
internal sealed class EmbeddingJob(IReadOnlyList<string> texts, int tokens, EmbeddingSettings settings, CancellationToken cancellationToken)
{
    /// <summary>The texts, in the request's order.</summary>
    public IReadOnlyList<string> Texts { get; } = texts;

    /// <summary>Their token count, <c>[CLS]</c> and <c>[SEP]</c> included: the job's share of the batch budget.</summary>
    public int Tokens { get; } = tokens;

    /// <summary>Normalization and dimensions; only jobs with equal settings share an <c>Encode</c> call.</summary>
    public EmbeddingSettings Settings { get; } = settings;

    /// <summary>The request's cancellation (client disconnected): a job cancelled before its batch starts is skipped.</summary>
    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>When the job was queued (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>).</summary>
    public long EnqueuedAt { get; } = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>Completed with one vector per text, in order; continuations run off the worker's thread.</summary>
    public TaskCompletionSource<float[][]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
