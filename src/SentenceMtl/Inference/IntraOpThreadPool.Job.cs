namespace SentenceMtl.Inference;

internal sealed partial class IntraOpThreadPool
{
    /// <summary>One <see cref="Run"/> call's chunks: claimed by an atomic counter, counted when finished.</summary>
    /// <param name="body">The work for one chunk.</param>
    /// <param name="chunks">How many chunks, at least 1.</param>
    private sealed class Job(Action<int> body, int chunks)
    {
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

                Interlocked.Increment(ref finished);                                            // full fence: the chunk's writes come first
            }
        }

        /// <summary>
        /// Waits until every chunk has finished. Called after <see cref="Participate"/> returned, when every chunk is
        /// claimed, so it waits only for chunks a helper is running, never for a helper that has not started.
        /// </summary>
        public void WaitUntilFinished()
        {
            var spin = default(SpinWait);
            while (Volatile.Read(ref finished) < chunks)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
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
