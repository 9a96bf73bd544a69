using System.Collections.Concurrent;
using SentenceMtl.Inference;

namespace SentenceMtl.Tests.Inference;

public class IntraOpThreadPoolTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Every_chunk_runs_exactly_once(int threads)
    {
        using var pool = new IntraOpThreadPool(threads);
        int[] chunkCounts = [0, 1, 2, 3, 4, 5, 7, 16, 63, 200];
        for (int repeat = 0; repeat < 1000; repeat++)                                           // helpers spinning, and (with the sleeps) asleep
        {
            foreach (int chunks in chunkCounts)
            {
                var runs = new int[chunks];
                pool.Run(chunks, c => Interlocked.Increment(ref runs[c]));
                Assert.All(runs, n => Assert.Equal(1, n));
            }

            if (repeat % 250 == 0)
            {
                Thread.Sleep(5);                                                                // long enough for the helpers to fall asleep
            }
        }
    }

    [Theory]
    [InlineData(1, 1000)]
    [InlineData(2, 1)]
    [InlineData(2, 2)]
    [InlineData(2, 7)]
    [InlineData(2, 8)]
    [InlineData(2, 9)]
    [InlineData(3, 1000)]
    [InlineData(3, 100_003)]
    public void For_covers_the_range_once_in_contiguous_ranges(int threads, int count)
    {
        using var pool = new IntraOpThreadPool(threads);
        for (int repeat = 0; repeat < 50; repeat++)
        {
            var ranges = new ConcurrentBag<(int First, int End)>();
            pool.For(count, IntraOpThreadPool.MinParallelWork, (first, end) => ranges.Add((first, end)));

            var sorted = ranges.OrderBy(r => r.First).ToArray();
            int expected = threads == 1 || count <= 1 ? 1 : Math.Min(count, threads * 4);
            Assert.Equal(expected, sorted.Length);
            Assert.Equal(0, sorted[0].First);
            Assert.Equal(count, sorted[^1].End);
            for (int i = 0; i < sorted.Length; i++)
            {
                Assert.True(sorted[i].First < sorted[i].End, $"range {sorted[i]} is empty");
                Assert.True(sorted[i].End - sorted[i].First <= count / expected + 1, $"range {sorted[i]} is not near-equal");
                if (i > 0)
                {
                    Assert.Equal(sorted[i - 1].End, sorted[i].First);                           // no gap, no overlap
                }
            }
        }
    }

    [Theory]
    [InlineData(3, 1000, IntraOpThreadPool.MinParallelWork - 1)]                                // too little work
    [InlineData(3, 1, IntraOpThreadPool.MinParallelWork * 100)]                                 // one item
    [InlineData(3, 0, IntraOpThreadPool.MinParallelWork * 100)]                                 // no item
    [InlineData(1, 1000, IntraOpThreadPool.MinParallelWork * 100)]                              // no helper
    public void For_runs_one_range_on_the_caller_when_splitting_would_not_pay(int threads, int count, long work)
    {
        using var pool = new IntraOpThreadPool(threads);
        var calls = new List<(int First, int End, int Thread)>();
        pool.For(count, work, (first, end) => calls.Add((first, end, Environment.CurrentManagedThreadId)));
        Assert.Equal([(0, count, Environment.CurrentManagedThreadId)], calls);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Work_spreads_to_every_helper(int threads)
    {
        using var pool = new IntraOpThreadPool(threads);
        for (int repeat = 0; repeat < 20; repeat++)                                             // awake and asleep helpers
        {
            using var together = new Barrier(threads);                                          // no chunk finishes before all have started
            var ranOn = new int[threads];
            var met = new bool[threads];
            pool.Run(threads, c =>
            {
                ranOn[c] = Environment.CurrentManagedThreadId;
                met[c] = together.SignalAndWait(Patience);
            });

            Assert.All(met, Assert.True);
            var everyThread = pool.HelperThreads.Select(t => t.ManagedThreadId).Append(Environment.CurrentManagedThreadId);
            Assert.Equal(everyThread.Order(), ranOn.Order());                                   // the caller and each helper ran one chunk
            Thread.Sleep(repeat % 2 * 5);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void An_exception_reaches_the_caller_with_its_stack_and_the_pool_stays_usable(int threads)
    {
        using var pool = new IntraOpThreadPool(threads);
        int ran = 0;
        var error = Assert.Throws<InvalidOperationException>(() => pool.Run(1000, c =>
        {
            Interlocked.Increment(ref ran);
            if (c == 0)
            {
                ThrowChunkFailure();
            }

            Thread.Sleep(1);
        }));
        Assert.Equal("chunk 0 failed", error.Message);
        Assert.Contains(nameof(ThrowChunkFailure), error.StackTrace);                           // the thrower's frame, not only the rethrow
        Assert.True(ran < 1000, $"all {ran} chunks ran after the first failed");                // unstarted chunks were skipped

        var runs = new int[100];
        pool.Run(runs.Length, c => Interlocked.Increment(ref runs[c]));
        Assert.All(runs, n => Assert.Equal(1, n));
    }

    [Fact]
    public void A_failure_is_preferred_to_a_cancellation()
    {
        using var pool = new IntraOpThreadPool(2);
        for (int repeat = 0; repeat < 20; repeat++)
        {
            using var together = new Barrier(2);                                                // both chunks run before either throws
            var error = Record.Exception(() => pool.Run(2, c =>
            {
                Assert.True(together.SignalAndWait(Patience));
                throw c == repeat % 2 ? new OperationCanceledException() : new ArgumentException("bad chunk");
            }));
            Assert.Equal("bad chunk", Assert.IsType<ArgumentException>(error).Message);
        }

        Assert.Throws<OperationCanceledException>(() => pool.Run(8, _ => throw new OperationCanceledException()));
    }

    [Fact]
    public void Two_threads_running_at_once_both_get_every_chunk_once()
    {
        using var pool = new IntraOpThreadPool(3);
        using var start = new Barrier(2);
        var failures = new ConcurrentQueue<string>();
        void Caller()
        {
            start.SignalAndWait(Patience);
            for (int repeat = 0; repeat < 500; repeat++)
            {
                var runs = new int[37];
                pool.Run(runs.Length, c => Interlocked.Increment(ref runs[c]));
                if (runs.Any(n => n != 1))
                {
                    failures.Enqueue($"call {repeat}: {string.Join(',', runs)}");
                }
            }
        }

        var threads = new[] { new Thread(Caller), new Thread(Caller) };
        Array.ForEach(threads, t => t.Start());
        Assert.All(threads, t => Assert.True(t.Join(Patience)));
        Assert.Empty(failures);
    }

    [Fact]
    public void A_nested_run_completes_on_the_thread_of_its_outer_chunk()
    {
        using var pool = new IntraOpThreadPool(2);
        var inner = new int[4 * 8];
        var misplaced = 0;
        pool.Run(4, outer =>
        {
            int thread = Environment.CurrentManagedThreadId;
            pool.Run(8, i =>
            {
                Interlocked.Increment(ref inner[outer * 8 + i]);
                if (Environment.CurrentManagedThreadId != thread)
                {
                    Interlocked.Increment(ref misplaced);
                }
            });
            var covered = new List<int>();                                                      // a plain list: the ranges run here, one after another
            pool.For(100, IntraOpThreadPool.MinParallelWork * 100, (first, end) =>
            {
                Assert.Equal(thread, Environment.CurrentManagedThreadId);
                covered.AddRange(Enumerable.Range(first, end - first));
            });
            Assert.Equal(Enumerable.Range(0, 100), covered);
        });
        Assert.All(inner, n => Assert.Equal(1, n));
        Assert.Equal(0, misplaced);
    }

    /// <summary>A helper held up inside its chunk keeps that chunk only: the caller runs the others instead of waiting
    /// for a share given to the helper.</summary>
    [Fact]
    public void A_stuck_helper_leaves_the_other_chunks_to_the_caller()
    {
        using var pool = new IntraOpThreadPool(2);
        int caller = Environment.CurrentManagedThreadId, onCaller = 0, onHelper = 0;
        using var unblock = new ManualResetEventSlim();
        using var helperStarted = new ManualResetEventSlim();
        pool.Run(16, c =>
        {
            bool onCallerThread = Environment.CurrentManagedThreadId == caller;
            Interlocked.Increment(ref onCallerThread ? ref onCaller : ref onHelper);
            if (Volatile.Read(ref onCaller) + Volatile.Read(ref onHelper) == 16)
            {
                unblock.Set();                                                                  // every chunk has started: let the helper go
            }

            if (!onCallerThread)
            {
                helperStarted.Set();
                Assert.True(unblock.Wait(Patience));
            }
            else if (c == 0)
            {
                Assert.True(helperStarted.Wait(Patience));                                      // the helper holds a chunk from here on
            }
        });
        Assert.Equal(15, onCaller);
        Assert.Equal(1, onHelper);                                                              // stuck from its first chunk to the end
    }

    /// <summary>A caller whose last chunk ends long before the helper's stops spinning and sleeps; the helper's last
    /// chunk wakes it, and only after that chunk's writes are done.</summary>
    [Fact]
    public void A_caller_that_sleeps_for_a_slow_helper_is_woken_when_it_finishes()
    {
        using var pool = new IntraOpThreadPool(2);
        int caller = Environment.CurrentManagedThreadId;
        for (int round = 0; round < 20; round++)
        {
            using var helperStarted = new ManualResetEventSlim();
            bool helperDone = false;
            pool.Run(2, c =>
            {
                if (Environment.CurrentManagedThreadId != caller)
                {
                    helperStarted.Set();
                    Thread.Sleep(round % 2 == 0 ? 20 : 0);                                          // far past the caller's spin, or within it
                    helperDone = true;
                }
                else
                {
                    Assert.True(helperStarted.Wait(Patience));                                  // the helper holds the other chunk
                }
            });
            Assert.True(helperDone, $"round {round}: Run returned before the helper's chunk finished");
        }
    }

    /// <summary>Many short calls whose helper chunks end at any moment around the caller's switch from spinning to
    /// sleeping: none loses its wake-up (which would hang the test) or returns early.</summary>
    [Fact]
    public void No_wake_up_is_lost_when_helpers_finish_around_the_callers_sleep()
    {
        using var pool = new IntraOpThreadPool(3);
        var random = new Random(7);
        for (int round = 0; round < 2_000; round++)
        {
            var delays = Enumerable.Range(0, 6).Select(_ => random.Next(0, 30_000)).ToArray();
            int finished = 0;
            pool.Run(6, c =>
            {
                Thread.SpinWait(delays[c]);
                Interlocked.Increment(ref finished);
            });
            Assert.Equal(6, Volatile.Read(ref finished));
        }
    }

    private static void ThrowChunkFailure() => throw new InvalidOperationException("chunk 0 failed");
}
