namespace SentenceMtl.Inference;

internal sealed partial class IntraOpThreadPool
{
    /// <summary>One <see cref="Run"/> call's chunks: claimed by an atomic counter, counted when finished.</summary>
    /// <remarks>
    /// The caller waits for the helpers' last chunks by spinning briefly, then sleeping on <paramref name="finishedSignal"/>,
    /// with the hand-shake of <see cref="Helper"/>: the caller sets <c>waiting</c> with a full fence and re-checks the
    /// count; the participant that finishes the last chunk counts it with a full fence and then takes <c>waiting</c>
    /// 1 → 0, releasing the semaphore only if it won. So either the caller sees the count complete or the finisher sees
    /// the caller waiting, and every release is matched by exactly one wait (a caller that loses the exchange consumes
    /// it). <c>waiting</c> belongs to this job, so a finisher of an earlier job never releases for a later one.
    /// </remarks>
    /// <param name="body">The work for one chunk.</param>
    /// <param name="chunks">How many chunks, at least 1.</param>
    /// <param name="finishedSignal">The pool's semaphore (one call uses the helpers at a time); each release is meant for
    /// the call sleeping on it.</param>
    private sealed class Job(Action<int> body, int chunks, SemaphoreSlim finishedSignal)
    {
        /// <summary>Spin iterations (about fifty microseconds) the caller waits before sleeping: the helpers' shares of a
        /// kernel end within that, so splitting one product never waits for a wake-up; a whole batch on a helper
        /// (milliseconds) does not keep the caller's core busy meanwhile.</summary>
        private const int SpinIterations = 10_000;

        /// <summary>1 while the caller sleeps or is about to, until the finisher of the last chunk takes it back to 0.</summary>
        private int waiting;

        /// <summary>The last chunk index handed out; 64 bits, so late participants' increments past the end never wrap.</summary>
        private long next = -1;
        private int finished;
        private volatile bool failed;
        private Exception? firstError;
        private Exception? firstCancellation;

        /// <summary>The first exception a chunk threw other than a cancellation, else the first cancellation, else null.</summary>
        public Exception? Error => Volatile.Read(ref firstError) ?? Volatile.Read(ref firstCancellation);

        /// <summary>
        /// Claims and runs chunks until none is left. Each index comes from one atomic increment, so it goes to exactly
        /// one participant; after a failure the claimed chunks are counted without running, so the rest are skipped
        /// and the finished count still reaches the total.
        /// </summary>
        public void Participate()
        {
            for (long c; (c = Interlocked.Increment(ref next)) < chunks;)
            {
                if (!failed)
                {
                    try
                    {
                        body((int)c);
                    }
                    catch (Exception e)
                    {
                        Record(e);
                    }
                }

                if (Interlocked.Increment(ref finished) == chunks                               // full fence: the chunk's writes come first
                    && Interlocked.CompareExchange(ref waiting, 0, 1) == 1)
                {
                    finishedSignal.Release();                                                   // the caller sleeps: wake it
                }
            }
        }

        /// <summary>
        /// Waits until every chunk has finished. Called after <see cref="Participate"/> returned, when every chunk is
        /// claimed, so it waits only for chunks a helper is running, never for a helper that has not started.
        /// </summary>
        public void WaitUntilFinished()
        {
            for (int i = 0; i < SpinIterations; i++)
            {
                if (Volatile.Read(ref finished) == chunks)
                {
                    return;
                }

                Thread.SpinWait(1);
            }

            Interlocked.Exchange(ref waiting, 1);                                               // full fence before the re-check
            if (Volatile.Read(ref finished) == chunks && Interlocked.CompareExchange(ref waiting, 0, 1) == 1)
            {
                return;                                                                         // took it back: no release comes
            }

            // Released once by the finisher. The count is checked after every wake-up, so a release left over from a
            // call whose wait was interrupted (Thread.Interrupt) cannot end this wait early: it is consumed, and the
            // finisher, which still finds waiting at 1, releases again.
            do
            {
                finishedSignal.Wait();
            }
            while (Volatile.Read(ref finished) < chunks);
        }

        /// <summary>Keeps the first exception of each kind and stops further chunks from starting.</summary>
        private void Record(Exception e)
        {
            if (e is OperationCanceledException)
            {
                Interlocked.CompareExchange(ref firstCancellation, e, null);
            }
            else
            {
                Interlocked.CompareExchange(ref firstError, e, null);
            }

            failed = true;
        }
    }
}
