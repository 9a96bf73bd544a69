using TorchSharp;

namespace SentenceMtl.Modeling.Kernels;

/// <summary>
/// How an inference pass on the CPU uses the cores, for the calling thread: libtorch's own operations run on this
/// thread alone, and <see cref="PrepackedLinear"/> splits each product over <see cref="KernelThreads"/> threads.
/// </summary>
/// <remarks>
/// libtorch's OpenMP workers keep spinning for a while after every parallel operation, so a thread of ours that needs
/// the same core meanwhile runs at half speed: with both thread teams active, a batch of 32 sentences was slower than
/// with libtorch alone. The encoder therefore either runs whole batches side by side, one per core (each in a
/// <see cref="Use(int, int)"/> scope of one kernel thread), or, for a single batch, one thread of libtorch operations whose
/// matrix products use every core. libtorch's thread count is per thread (OpenMP) and restored when the scope ends;
/// libtorch also keeps the last count set as the default for threads that have not run an operation yet, so while a
/// scope is open a brand-new thread would start single-threaded, and a pool thread that works for the caller should
/// restore the caller's count rather than whatever it saw on entry (<see cref="Use(int, int)"/>).
/// </remarks>
internal readonly struct InferenceThreads : IDisposable
{
    /// <summary>Chunks per thread in a split: threads claim them one at a time, so a thread that starts late or runs slow
    /// leaves its share to the others.</summary>
    private const int ChunksPerThread = 4;

    [ThreadStatic]
    private static int kernelThreads;

    private readonly int previousTorchThreads;
    private readonly int previousKernelThreads;

    private InferenceThreads(int previousTorchThreads, int previousKernelThreads)
    {
        this.previousTorchThreads = previousTorchThreads;
        this.previousKernelThreads = previousKernelThreads;
    }

    /// <summary>Threads a prepacked product started on this thread may use: the scope's count, else libtorch's thread count.</summary>
    public static int KernelThreads => kernelThreads > 0 ? kernelThreads : torch.get_num_threads();

    /// <summary>Until disposed: libtorch single-threaded on this thread, prepacked products over <paramref name="threads"/> threads.</summary>
    /// <param name="threads">At least 1.</param>
    public static InferenceThreads Use(int threads) => Use(threads, torch.get_num_threads());

    /// <summary>As <see cref="Use(int)"/>, then libtorch at <paramref name="torchThreadsAfter"/> threads on this thread.</summary>
    /// <param name="threads">At least 1.</param>
    /// <param name="torchThreadsAfter">libtorch's thread count for this thread when the scope ends; at least 1.</param>
    public static InferenceThreads Use(int threads, int torchThreadsAfter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(torchThreadsAfter, 1);
        var scope = new InferenceThreads(torchThreadsAfter, kernelThreads);
        torch.set_num_threads(1);
        kernelThreads = threads;
        return scope;
    }

    /// <summary>
    /// Runs <paramref name="body"/>(first, end) over [0, <paramref name="count"/>) cut into up to
    /// <see cref="ChunksPerThread"/> contiguous ranges per kernel thread (<see cref="KernelThreads"/>), which the calling
    /// thread and <see cref="KernelTeam"/>'s spinning helpers claim one at a time (thread-pool threads while another
    /// caller has the team); all on the calling thread when there is one thread or less than 2¹⁸ multiply-adds of
    /// <paramref name="work"/>.
    /// </summary>
    /// <param name="count">Work items.</param>
    /// <param name="work">Multiply-adds in all, to judge whether splitting pays.</param>
    /// <param name="body">Processes items [first, end).</param>
    public static void Split(int count, long work, Action<int, int> body)
    {
        int threads = Math.Clamp(KernelThreads, 1, Math.Max(1, count));
        if (threads == 1 || work < (1L << 18))
        {
            body(0, count);
            return;
        }

        int chunks = Math.Min(count, threads * ChunksPerThread);
        void Chunk(int c) => body((int)((long)count * c / chunks), (int)((long)count * (c + 1) / chunks));
        if (!KernelTeam.WithHelpers(threads - 1).TryRun(threads, chunks, Chunk))
        {
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, Chunk);    // another caller has the team
        }
    }

    /// <summary>Restores this thread's previous settings.</summary>
    public void Dispose()
    {
        torch.set_num_threads(previousTorchThreads);
        kernelThreads = previousKernelThreads;
    }
}
