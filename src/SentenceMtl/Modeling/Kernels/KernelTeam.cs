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
    /// Runs <paramref name="body"/>(t) for t in [0, <paramref name="threads"/>): t = 0 on the calling thread, the others on
    /// helpers; returns when all are done, rethrowing the first exception. False, with nothing run, when the team is busy.
    /// </summary>
    public bool TryRun(int threads, Action<int> body)
    {
        if (threads - 1 > helpers.Length || Interlocked.CompareExchange(ref busy, 1, 0) != 0)
        {
            return false;
        }

        try
        {
            for (int t = 1; t < threads; t++)
            {
                helpers[t - 1].Post(body, t);
            }

            Exception? error = null;
            try
            {
                body(0);
            }
            catch (Exception e)
            {
                error = e;
            }

            for (int t = 1; t < threads; t++)
            {
                error ??= helpers[t - 1].Join();
            }

            if (error is not null)
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

    /// <summary>One helper thread and its work slot.</summary>
    private sealed class Helper
    {
        private const int Idle = 0, Posted = 1, Done = 2;

        private readonly SemaphoreSlim wake = new(0);
        private Action<int>? body;
        private int index;
        private Exception? error;
        private int state;
        private int sleeping;

        public Helper()
        {
            new Thread(Loop) { IsBackground = true, Name = "SentenceMtl kernel helper" }.Start();
        }

        /// <summary>Hands over body(index).</summary>
        public void Post(Action<int> work, int workIndex)
        {
            body = work;
            index = workIndex;
            error = null;
            Interlocked.Exchange(ref state, Posted);                                            // full fence: the fields above first
            if (Interlocked.CompareExchange(ref sleeping, 0, 1) == 1)
            {
                wake.Release();
            }
        }

        /// <summary>Waits for the posted work; its exception, if any.</summary>
        public Exception? Join()
        {
            var spin = default(SpinWait);
            while (Volatile.Read(ref state) != Done)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }

            Volatile.Write(ref state, Idle);
            return error;
        }

        private void Loop()
        {
            while (true)
            {
                WaitForWork();
                try
                {
                    body!(index);
                }
                catch (Exception e)
                {
                    error = e;
                }

                body = null;
                Volatile.Write(ref state, Done);
            }
        }

        private void WaitForWork()
        {
            for (int i = 0; i < SpinIterations; i++)
            {
                if (Volatile.Read(ref state) == Posted)
                {
                    return;
                }

                Thread.SpinWait(1);
            }

            while (true)
            {
                Interlocked.Exchange(ref sleeping, 1);                                          // full fence before the re-check
                if (Volatile.Read(ref state) == Posted)
                {
                    if (Interlocked.CompareExchange(ref sleeping, 0, 1) == 0)
                    {
                        wake.Wait();                                                            // the poster released once: consume it
                    }

                    return;
                }

                wake.Wait();
                if (Volatile.Read(ref state) == Posted)
                {
                    return;
                }
            }
        }
    }
}
