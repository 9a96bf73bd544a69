namespace SentenceMtl.Inference;

internal sealed partial class IntraOpThreadPool
{
    /// <summary>
    /// One helper thread's mailbox: the job posted to it, and the spin-then-sleep wait for the next one.
    /// </summary>
    /// <remarks>
    /// Sleeping uses a Dekker-style hand-shake. The helper sets <c>sleeping</c> with a full fence and then re-checks the
    /// mailbox; a poster writes the mailbox with a full fence and then takes <c>sleeping</c> 1 → 0, releasing the
    /// semaphore only if it won that exchange. So either the helper sees the post or the poster sees the sleeper, and
    /// every release is matched by exactly one wait: a helper that loses the exchange to a poster consumes the release.
    /// The semaphore never exposes a wait handle, so it holds no kernel object and needs no disposal.
    /// </remarks>
    private sealed class Helper
    {
        /// <summary>Spin iterations (about a hundred microseconds) a helper waits for the next job before sleeping.</summary>
        private const int SpinIterations = 20_000;

        private readonly SemaphoreSlim wake = new(0);
        private Job? posted;
        private int sleeping;
        private volatile bool stopping;

        /// <summary>Offers <paramref name="job"/> to this helper, replacing a job it has not taken yet.</summary>
        public void Post(Job job)
        {
            Interlocked.Exchange(ref posted, job);                                              // full fence: the job is visible first
            WakeIfSleeping();
        }

        /// <summary>Takes <paramref name="job"/> back if the helper has not taken it, so the mailbox does not keep the
        /// finished call's body (and what it captured) alive.</summary>
        public void Retract(Job job) => Interlocked.CompareExchange(ref posted, null, job);

        /// <summary>Tells the helper to return from <see cref="Loop"/>; it finishes the job it is on first.</summary>
        public void Stop()
        {
            stopping = true;
            WakeIfSleeping();                                                                   // its exchange is a full fence after the write
        }

        /// <summary>The helper thread's body: runs each job it takes until stopped.</summary>
        public void Loop()
        {
            while (WaitForJob() is { } job)
            {
                job.Participate();
            }
        }

        private void WakeIfSleeping()
        {
            if (Interlocked.CompareExchange(ref sleeping, 0, 1) == 1)
            {
                wake.Release();
            }
        }

        /// <summary>The next posted job, taken out of the mailbox; null once stopped. Spins a while, then sleeps.</summary>
        private Job? WaitForJob()
        {
            for (int i = 0; i < SpinIterations; i++)
            {
                if (stopping)
                {
                    return null;
                }

                if (Volatile.Read(ref posted) is not null && Interlocked.Exchange(ref posted, null) is { } job)
                {
                    return job;
                }

                Thread.SpinWait(1);
            }

            while (true)
            {
                Interlocked.Exchange(ref sleeping, 1);                                          // full fence before the re-check
                if (stopping || Volatile.Read(ref posted) is not null)
                {
                    if (Interlocked.CompareExchange(ref sleeping, 0, 1) == 0)
                    {
                        wake.Wait();                                                            // a poster released once: consume it
                    }

                    if (stopping)
                    {
                        return null;
                    }

                    if (Interlocked.Exchange(ref posted, null) is { } job)
                    {
                        return job;
                    }

                    continue;                                                                   // retracted meanwhile: sleep again
                }

                wake.Wait();
            }
        }
    }
}
