using System.Diagnostics;

namespace SentenceMtl.Server.Batching;

/// <summary>
/// One request's texts, as token ids, in the <see cref="BatchingQueue"/>. The worker hands them to batches in chunks (a large request
/// is spread over several batches, between which other requests run) and delivers each chunk's results; the request
/// completes when every text has its result, or fails, or is cancelled, exactly once. Its token budget is given back
/// then.
/// </summary>
internal abstract class QueuedWork(IReadOnlyList<int[]> ids, IBatchRunner runner, IDisposable budget, CancellationToken cancellationToken)
{
    /// <summary>Each text's token ids (<c>[CLS]</c> and <c>[SEP]</c> included), in the request's order; a text's count
    /// of them is its share of a batch's budget.</summary>
    public IReadOnlyList<int[]> Ids { get; } = ids;

    /// <summary>What runs the texts; only jobs with equal runners share a batch.</summary>
    public IBatchRunner Runner { get; } = runner;

    /// <summary>The request's cancellation (client gone): the job is dropped, and a running batch whose jobs are all
    /// cancelled stops.</summary>
    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>When the job was queued (<see cref="Stopwatch.GetTimestamp"/>).</summary>
    public long EnqueuedAt { get; } = Stopwatch.GetTimestamp();

    /// <summary>How many texts (from the first) have been handed to batches.</summary>
    public int Scheduled { get; private set; }

    /// <summary>Tokens handed to batches so far.</summary>
    public long ServedTokens { get; private set; }

    /// <summary>Tokens not yet handed to a batch: the job with the fewest goes first.</summary>
    public long RemainingTokens => TotalTokens - ServedTokens;

    /// <summary>All the job's tokens.</summary>
    public long TotalTokens { get; } = ids.Sum(sequence => (long)sequence.Length);

    /// <summary>Whether the job has completed (results, error or cancelled).</summary>
    public abstract bool IsCompleted { get; }

    /// <summary>Hands the next texts to a batch: as many as fit in <paramref name="budget"/> tokens (at least one when
    /// <paramref name="atLeastOne"/>); returns how many, and their tokens in <paramref name="taken"/>.</summary>
    public int Take(long budget, bool atLeastOne, out long taken)
    {
        int start = Scheduled;
        taken = 0;
        while (Scheduled < Ids.Count && (taken + Ids[Scheduled].Length <= budget || (atLeastOne && Scheduled == start)))
        {
            taken += Ids[Scheduled++].Length;
        }

        ServedTokens += taken;
        return Scheduled - start;
    }

    /// <summary>Stores results <paramref name="source"/>[<paramref name="offset"/>..] for the job's texts from
    /// <paramref name="start"/> (<paramref name="count"/> of them); completes the job with its last ones.</summary>
    public abstract void Deliver(Array source, int offset, int start, int count);

    /// <summary>Fails the job.</summary>
    public abstract void Fail(Exception error);

    /// <summary>Completes the job as cancelled.</summary>
    public abstract void Cancel();

    /// <summary>Gives the job's tokens back to the admission budget (once).</summary>
    protected void Release() => budget.Dispose();
}

/// <summary>A <see cref="QueuedWork"/> whose results are <typeparamref name="T"/>s.</summary>
internal sealed class QueuedWork<T>(IReadOnlyList<int[]> ids, IBatchRunner runner, IDisposable budget, CancellationToken cancellationToken)
    : QueuedWork(ids, runner, budget, cancellationToken)
{
    private readonly T[] results = new T[ids.Count];
    private int delivered;

    /// <summary>Completed with one result per text, in order; continuations run off the worker's thread.</summary>
    public TaskCompletionSource<T[]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <inheritdoc />
    public override bool IsCompleted => Completion.Task.IsCompleted;

    /// <inheritdoc />
    public override void Deliver(Array source, int offset, int start, int count)
    {
        Array.Copy(source, offset, results, start, count);
        delivered += count;
        if (delivered == results.Length)
        {
            Release();
            Completion.TrySetResult(results);
        }
    }

    /// <inheritdoc />
    public override void Fail(Exception error)
    {
        Release();
        Completion.TrySetException(error);
    }

    /// <inheritdoc />
    public override void Cancel()
    {
        Release();
        Completion.TrySetCanceled(CancellationToken);
    }
}
