using System.Collections.Concurrent;
using SentenceMtl.Modeling.Kernels;

namespace SentenceMtl.Tests.Modeling.Kernels;

public class InferenceWorkersTests
{
    [Fact]
    public void Every_index_runs_once_the_caller_takes_index_0_and_the_same_threads_serve_again()
    {
        var seen = new ConcurrentDictionary<int, int>();
        int caller = Environment.CurrentManagedThreadId;
        InferenceWorkers.Run(3, i => seen[i] = Environment.CurrentManagedThreadId);
        Assert.Equal([0, 1, 2], seen.Keys.Order());
        Assert.Equal(caller, seen[0]);
        Assert.Equal(3, seen.Values.Distinct().Count());
        var again = new ConcurrentDictionary<int, int>();
        InferenceWorkers.Run(3, i => again[i] = Environment.CurrentManagedThreadId);
        Assert.Equal(seen[1], again[1]);                                                         // long-lived workers, not pool threads
        Assert.Equal(seen[2], again[2]);
    }

    [Fact]
    public void The_first_real_failure_is_rethrown_after_all_runs_finish()
    {
        int finished = 0;
        var ex = Assert.Throws<InvalidOperationException>(() => InferenceWorkers.Run(2, i =>
        {
            if (i == 0)
            {
                throw new OperationCanceledException();                                          // secondary: a sibling saw the stop
            }

            Thread.Sleep(50);
            Interlocked.Increment(ref finished);
            throw new InvalidOperationException("worker " + i);
        }));
        Assert.Equal("worker 1", ex.Message);
        Assert.Equal(1, finished);
        Assert.Throws<ArgumentOutOfRangeException>(() => InferenceWorkers.Run(0, _ => { }));
    }
}
