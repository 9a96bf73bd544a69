using System.Runtime.ExceptionServices;

namespace SentenceMtl.Inference;

/// <summary>
/// The inference engine's one intra-op thread pool: <see cref="Threads"/> − 1 long-lived helper threads that split one
/// kernel call with the calling thread. A helper spins for a short while after its last piece of work before it
/// sleeps, so the back-to-back kernel calls of one forward pass hand work over without waking a sleeping thread.
/// </summary>
/// <remarks>
/// <para>The pool belongs to its owner (an inference session), not to the process: nothing is static, the thread count
/// is fixed at construction, and <see cref="Dispose"/> stops and joins every helper it started.</para>
/// <para>One call at a time uses the helpers. A call that finds them taken — another thread's, or a nested call from
/// inside a body — runs its chunks on its own thread, so no call ever waits for the pool and none can deadlock.</para>
/// <para>The caller never waits for a helper that has not started: it claims chunks itself until none is left, then
/// waits only for the chunks helpers already claimed, spinning about 50 µs and then sleeping until the last one ends.
/// A helper whose core was taken away finds the chunks gone and goes back to waiting.</para>
/// </remarks>
internal sealed partial class IntraOpThreadPool : IDisposable
{
    /// <summary>
    /// Below this many scalar operations <see cref="For"/> runs the whole range on the calling thread: handing work to
    /// a helper costs about as much as this much arithmetic, so splitting smaller kernels makes them slower.
    /// </summary>
    public const long MinParallelWork = 1L << 18;

    /// <summary>Ranges per thread <see cref="For"/> makes, so a thread that falls behind leaves its share to the others.</summary>
    private const int RangesPerThread = 4;

    private const int Idle = 0;
    private const int Running = 1;
    private const int Closed = 2;

    /// <summary>Empty until the constructor has checked its argument: a pool whose constructor threw is still
    /// finalized, and its finalizer must find nothing to stop.</summary>
    private readonly Helper[] helpers = [];
    private readonly Thread[] helperThreads = [];
    private readonly IReadOnlyList<Thread> helperThreadsView;
    private readonly Lock disposeGate = new();

    /// <summary>Wakes a caller sleeping until the helpers finish its job's last chunks (see <see cref="Job"/>). It never
    /// exposes a wait handle, so it holds no kernel object and needs no disposal.</summary>
    private readonly SemaphoreSlim finishedSignal = new(0);
    private volatile bool disposed;
    private bool joined;

    /// <summary>Who uses the helpers: <see cref="Idle"/>, one <see cref="Running"/> call, or <see cref="Closed"/> for good.</summary>
    private int state;

    /// <summary>The managed id of the thread whose call holds the helpers; 0 whenever no call holds them.</summary>
    private int ownerThreadId;

    /// <summary>Starts <paramref name="threads"/> − 1 background helper threads named "SentenceMtl intra-op N".</summary>
    /// <param name="threads">Threads that work on one call, the caller included; at least 1 (1 starts no helper).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is less than 1.</exception>
    public IntraOpThreadPool(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Threads = threads;
        helpers = new Helper[threads - 1];
        helperThreads = new Thread[threads - 1];
        for (int i = 0; i < helpers.Length; i++)
        {
            helpers[i] = new Helper();                                                          // all exist before any starts: the finalizer can stop each
        }

        for (int i = 0; i < helpers.Length; i++)
        {
            helperThreads[i] = new Thread(helpers[i].Loop) { IsBackground = true, Name = $"SentenceMtl intra-op {i + 1}" };
            helperThreads[i].Start();
        }

        helperThreadsView = Array.AsReadOnly(helperThreads);
    }

    /// <summary>
    /// Stops the helpers of a pool nobody disposed, so an abandoned pool does not keep its threads for the life of the
    /// process. Safe here: the helpers are reachable from their own running threads, and stopping only sets a flag and
    /// releases a semaphore.
    /// </summary>
    ~IntraOpThreadPool()
    {
        foreach (var helper in helpers)
        {
            helper.Stop();
        }
    }

    /// <summary>Threads that work on one call, the caller included (the count given to the constructor).</summary>
    public int Threads { get; }

    /// <summary>The helper threads (<see cref="Threads"/> − 1 of them), for tests to watch them start and stop.</summary>
    internal IReadOnlyList<Thread> HelperThreads => helperThreadsView;

    /// <summary>
    /// Calls <paramref name="body"/>(c) exactly once for every c in [0, <paramref name="chunks"/>), on the calling
    /// thread and the helpers, and returns when all have finished.
    /// </summary>
    /// <remarks>
    /// Every chunk index is handed out once by an atomic counter, so no chunk runs twice, and the call returns only
    /// when the count of finished chunks reaches <paramref name="chunks"/>, so none is still running. If a body throws,
    /// chunks not yet started are skipped; once every running chunk has finished, the first exception is rethrown with
    /// its original stack, an <see cref="OperationCanceledException"/> only if nothing else failed. When the helpers
    /// are in use (another thread's call, or this call is nested inside a body) all chunks run here, in order.
    /// </remarks>
    /// <param name="chunks">How many chunks; 0 returns at once.</param>
    /// <param name="body">The work for one chunk; receives its index.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="chunks"/> is negative.</exception>
    /// <exception cref="ObjectDisposedException">The pool has been disposed.</exception>
    public void Run(int chunks, Action<int> body)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(chunks);
        ArgumentNullException.ThrowIfNull(body);
        ObjectDisposedException.ThrowIf(disposed, this);
        if (chunks == 0)
        {
            return;
        }

        if (chunks == 1 || helpers.Length == 0 || !TryAcquire())
        {
            for (int c = 0; c < chunks; c++)
            {
                body(c);                                                                        // an exception leaves with its own stack
            }

            return;
        }

        try
        {
            RunOnHelpers(new Job(body, chunks, finishedSignal));
        }
        finally
        {
            Volatile.Write(ref ownerThreadId, 0);                                               // cleared before the helpers are free
            Volatile.Write(ref state, Idle);
        }
    }

    /// <summary>
    /// Splits [0, <paramref name="count"/>) into contiguous ranges and calls <paramref name="body"/>(first, end) once
    /// for each. A single <paramref name="body"/>(0, <paramref name="count"/>) call on the calling thread when
    /// <see cref="Threads"/> is 1, <paramref name="count"/> is at most 1, or <paramref name="work"/> is below
    /// <see cref="MinParallelWork"/> (a tiny kernel gains nothing from waking threads); otherwise
    /// min(<paramref name="count"/>, <see cref="Threads"/> × 4) ranges through <see cref="Run"/>.
    /// </summary>
    /// <remarks>
    /// Range r is [count·r / n, count·(r + 1) / n) with n ranges, computed in 64 bits: consecutive ranges share their
    /// bounds, so together they cover [0, count) exactly once; sizes differ by at most one, and with n ≤ count none is
    /// empty.
    /// </remarks>
    /// <param name="count">Items to split; at least 0.</param>
    /// <param name="work">The caller's estimate of the scalar operations the whole range takes; at least 0.</param>
    /// <param name="body">The work for items [first, end).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> or <paramref name="work"/> is negative.</exception>
    /// <exception cref="ObjectDisposedException">The pool has been disposed.</exception>
    public void For(int count, long work, Action<int, int> body)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegative(work);
        ArgumentNullException.ThrowIfNull(body);
        ObjectDisposedException.ThrowIf(disposed, this);
        if (Threads == 1 || count <= 1 || work < MinParallelWork)
        {
            body(0, count);
            return;
        }

        int ranges = (int)Math.Min(count, (long)Threads * RangesPerThread);
        Run(ranges, r => body((int)((long)count * r / ranges), (int)((long)count * (r + 1) / ranges)));
    }

    /// <summary>
    /// Stops and joins every helper thread; later calls do nothing. A call using the helpers on another thread
    /// finishes first (Dispose waits for it); after Dispose, <see cref="Run"/> and <see cref="For"/> throw
    /// <see cref="ObjectDisposedException"/>.
    /// </summary>
    /// <remarks>
    /// Dispose first marks the pool disposed, so no new call starts, then takes the helpers for good (state
    /// <see cref="Idle"/> → <see cref="Closed"/>), which succeeds only once the call using them has returned; then no
    /// helper can be given work again, and each is told to stop and joined. A call that found the helpers taken runs
    /// on its own thread only and is not waited for: it touches nothing Dispose releases.
    /// </remarks>
    /// <exception cref="InvalidOperationException">Called from inside a body of a call using the helpers, which could
    /// never finish while Dispose waited for it.</exception>
    public void Dispose()
    {
        ThrowIfInsideRun();
        lock (disposeGate)
        {
            if (joined)
            {
                return;
            }

            disposed = true;
            var spin = default(SpinWait);
            while (Interlocked.CompareExchange(ref state, Closed, Idle) != Idle)
            {
                spin.SpinOnce();                                                                // the running call's last chunks
            }

            foreach (var helper in helpers)
            {
                helper.Stop();
            }

            foreach (var thread in helperThreads)
            {
                thread.Join();
            }

            joined = true;
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Takes the helpers for this call: false when another call holds them or the pool is being disposed.</summary>
    private bool TryAcquire()
    {
        int was = Interlocked.CompareExchange(ref state, Running, Idle);
        ObjectDisposedException.ThrowIf(was == Closed, this);
        if (was != Idle)
        {
            return false;
        }

        Volatile.Write(ref ownerThreadId, Environment.CurrentManagedThreadId);
        return true;
    }

    /// <summary>Offers <paramref name="job"/> to every helper, works on it here, waits for claimed chunks, rethrows.</summary>
    private void RunOnHelpers(Job job)
    {
        foreach (var helper in helpers)
        {
            helper.Post(job);
        }

        job.Participate();
        job.WaitUntilFinished();
        foreach (var helper in helpers)
        {
            helper.Retract(job);                                                                // a slow helper must not keep the body alive
        }

        if (job.Error is { } error)
        {
            ExceptionDispatchInfo.Capture(error).Throw();
        }
    }

    /// <summary>Refuses a Dispose from a thread that is working on the call Dispose would wait for.</summary>
    private void ThrowIfInsideRun()
    {
        bool owner = Volatile.Read(ref state) == Running && Volatile.Read(ref ownerThreadId) == Environment.CurrentManagedThreadId;
        if (owner || Array.IndexOf(helperThreads, Thread.CurrentThread) >= 0)
        {
            throw new InvalidOperationException(
                "IntraOpThreadPool.Dispose was called from inside a Run or For body; it would wait for that call forever. Dispose the pool after the call returns.");
        }
    }
}
