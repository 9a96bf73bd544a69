using System.Runtime.ExceptionServices;

namespace SentenceMtl.Modeling.Kernels;

/// <summary>
/// Helper threads for splitting one kernel call across cores with a hand-off of well under a microsecond: each helper
/// spins for a short while after its last piece of work before it goes to sleep, as OpenMP's and ONNX Runtime's thread
/// pools do. A thread-pool thread that has gone idle takes tens of microseconds to wake, and a single sentence makes two
/// dozen split products in a few milliseconds.
/// </summary>
/// <remarks>
/// One caller at a time: <see cref="TryRun"/> returns false while another thread is using the team, and that caller
/// splits its work some other way. Helpers are background threads, created on first use and kept; when more threads
/// are asked for, a larger team replaces the shared one and the old helpers sleep for good.
/// </remarks>
internal sealed class KernelTeam
{
    /// <summary>Spin iterations (≈ 100 µs) a helper waits for the next piece of work before sleeping.</summary>
    private const int SpinIterations = 20_000;

    private static readonly Lock Gate = new();
    private static KernelTeam? shared;

    private readonly Helper[] helpers;
    private int busy;

    /// <summary>A team of its own (the kernels share <see cref="WithHelpers"/>'s).</summary>
    /// <param name="helperCount">Helper threads to start.</param>
    internal KernelTeam(int helperCount)
    {
        helpers = new Helper[helperCount];
        for (int i = 0; i < helperCount; i++)
        {
            helpers[i] = new Helper();
        }
    }

    /// <summary>The process's team with at least <paramref name="helperCount"/> helpers.</summary>
    public static KernelTeam WithHelpers(int helperCount)
    {
        lock (Gate)
        {
            if (shared is null || shared.helpers.Length < helperCount)
            {
                shared = new KernelTeam(helperCount);                                           // a smaller team's helpers just sleep
            }

            return shared;
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/>(c) once for every c in [0, <paramref name="chunks"/>), the calling thread and
    /// <paramref name="threads"/> − 1 helpers claiming chunks one at a time until none is left; returns when all are done,
    /// rethrowing the first exception. False, with nothing run, when the team is busy or has fewer helpers.
    /// </summary>
    /// <remarks>
    /// The caller never waits for a helper that has not started: on this 2-vCPU virtual machine a helper's core is
    /// sometimes taken away for a while, and with fixed halves every product then waited for it (a single sentence makes
    /// three dozen products). A helper that arrives late finds the chunks taken and goes back to waiting.
    /// </remarks>
    public bool TryRun(int threads, int chunks, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (threads - 1 > helpers.Length || Interlocked.CompareExchange(ref busy, 1, 0) != 0)
        {
            return false;
        }

        try
        {
            var job = new Job(body, chunks);
            for (int t = 1; t < threads; t++)
            {
                helpers[t - 1].Post(job);
            }

            job.Participate();
            job.WaitUntilFinished();
            if (job.Error is { } error)
            {
                ExceptionDispatchInfo.Capture(error).Throw();
            }

            return true;
        }
        finally
        {
            Volatile.Write(ref busy, 0);
        }
    }

    /// <summary>One call's chunks: claimed by counter, counted when finished.</summary>
    private sealed class Job(Action<int> body, int chunks)
    {
        private int next = -1;
        private int finished;
        private Exception? error;

        /// <summary>The first exception a chunk threw.</summary>
        public Exception? Error => Volatile.Read(ref error);

        /// <summary>Runs unclaimed chunks until none is left.</summary>
        public void Participate()
        {
            for (int c; (c = Interlocked.Increment(ref next)) < chunks;)
            {
                try
                {
                    body(c);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref error, e, null);
                }
                finally
                {
                    Interlocked.Increment(ref finished);
                }
            }
        }

        /// <summary>Spins until every chunk has finished (all are claimed when the caller gets here).</summary>
        public void WaitUntilFinished()
        {
            var spin = default(SpinWait);
            while (Volatile.Read(ref finished) < chunks)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }
    }

    /// <summary>One helper thread and the last job posted to it.</summary>
    private sealed class Helper
    {
        private readonly SemaphoreSlim wake = new(0);
        private Job? posted;
        private int sleeping;

        public Helper()
        {
            new Thread(Loop) { IsBackground = true, Name = "SentenceMtl kernel helper" }.Start();
        }

        /// <summary>Offers <paramref name="job"/> to this helper (replacing any job it has not looked at yet).</summary>
        public void Post(Job job)
        {
            Interlocked.Exchange(ref posted, job);                                              // full fence: the job is visible first
            if (Interlocked.CompareExchange(ref sleeping, 0, 1) == 1)
            {
                wake.Release();
            }
        }

        private void Loop()
        {
            Job? last = null;
            while (true)
            {
                last = WaitForJob(last);
                last.Participate();
            }
        }

        /// <summary>The next job other than <paramref name="last"/>: spins a while, then sleeps until one is posted.</summary>
        private Job WaitForJob(Job? last)
        {
            for (int i = 0; i < SpinIterations; i++)
            {
                if (Volatile.Read(ref posted) is { } job && job != last)
                {
                    return job;
                }

                Thread.SpinWait(1);
            }

            while (true)
            {
                Interlocked.Exchange(ref sleeping, 1);                                          // full fence before the re-check
                if (Volatile.Read(ref posted) is { } job && job != last)
                {
                    if (Interlocked.CompareExchange(ref sleeping, 0, 1) == 0)
                    {
                        wake.Wait();                                                            // the poster released once: consume it
                    }

                    return job;
                }

                wake.Wait();
            }
        }
    }
}
