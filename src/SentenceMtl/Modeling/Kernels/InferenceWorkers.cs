using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace SentenceMtl.Modeling.Kernels;

/// <summary>
/// Long-lived background threads that run inference work beside the calling thread, one per extra core.
/// </summary>
/// <remarks>
/// Thread-pool threads come and go, and glibc gives every thread that allocates its own heap (arena, up to eight per
/// core), each keeping freed activation memory: encoding 100,000 sentences in calls of 1,000 on pool threads held
/// ≈ 100 MiB more than with two heaps. These threads live for the process and are created only when first needed.
/// </remarks>
internal static class InferenceWorkers
{
    private static readonly List<BlockingCollection<Action>> Queues = [];
    private static readonly Lock Gate = new();

    /// <summary>Runs <paramref name="body"/>(0) on the calling thread and <paramref name="body"/>(1 … count − 1) on the
    /// workers, waits for all, then rethrows the first exception (an <see cref="OperationCanceledException"/> only if
    /// nothing else failed).</summary>
    /// <param name="count">Parallel runs, at least 1.</param>
    /// <param name="body">The work; receives its run index.</param>
    public static void Run(int count, Action<int> body)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentNullException.ThrowIfNull(body);
        var errors = new ConcurrentQueue<Exception>();
        using var done = new CountdownEvent(count - 1);
        var queues = QueuesFor(count - 1);
        for (int i = 1; i < count; i++)
        {
            int index = i;
            queues[i - 1].Add(() =>
            {
                try
                {
                    body(index);
                }
                catch (Exception e)
                {
                    errors.Enqueue(e);
                }
                finally
                {
                    done.Signal();
                }
            });
        }

        try
        {
            body(0);
        }
        catch (Exception e)
        {
            errors.Enqueue(e);
        }

        done.Wait();
        var first = errors.FirstOrDefault(e => e is not OperationCanceledException) ?? errors.FirstOrDefault();
        if (first is not null)
        {
            ExceptionDispatchInfo.Capture(first).Throw();
        }
    }

    /// <summary>The first <paramref name="count"/> workers' queues, starting threads as needed.</summary>
    private static List<BlockingCollection<Action>> QueuesFor(int count)
    {
        lock (Gate)
        {
            while (Queues.Count < count)
            {
                var queue = new BlockingCollection<Action>();
                var thread = new Thread(() =>
                {
                    foreach (var work in queue.GetConsumingEnumerable())
                    {
                        work();
                    }
                })
                {
                    IsBackground = true,
                    Name = $"SentenceMtl inference {Queues.Count + 1}",
                };
                thread.Start();
                Queues.Add(queue);
            }

            return Queues.GetRange(0, count);
        }
    }
}
