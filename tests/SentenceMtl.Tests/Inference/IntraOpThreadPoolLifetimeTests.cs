using System.Diagnostics;
using System.Runtime.CompilerServices;
using SentenceMtl.Inference;

namespace SentenceMtl.Tests.Inference;

public class IntraOpThreadPoolLifetimeTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void The_constructor_rejects_fewer_than_one_thread(int threads)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new IntraOpThreadPool(threads));
        Assert.Equal("threads", error.ParamName);
    }

    [Fact]
    public void Negative_counts_are_rejected()
    {
        using var pool = new IntraOpThreadPool(2);
        Assert.Equal("chunks", Assert.Throws<ArgumentOutOfRangeException>(() => pool.Run(-1, _ => { })).ParamName);
        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => pool.For(-1, 0, (_, _) => { })).ParamName);
        Assert.Equal("work", Assert.Throws<ArgumentOutOfRangeException>(() => pool.For(10, -1, (_, _) => { })).ParamName);
    }

    [Fact]
    public void The_helpers_are_named_background_threads_one_fewer_than_threads()
    {
        using var pool = new IntraOpThreadPool(3);
        Assert.Equal(3, pool.Threads);
        Assert.Equal(["SentenceMtl intra-op 1", "SentenceMtl intra-op 2"], pool.HelperThreads.Select(t => t.Name));
        Assert.All(pool.HelperThreads, t => Assert.True(t.IsBackground));
        using var single = new IntraOpThreadPool(1);
        Assert.Empty(single.HelperThreads);
    }

    [Fact]
    public void Dispose_joins_every_helper_and_is_idempotent()
    {
        var pool = new IntraOpThreadPool(4);
        pool.Run(64, _ => Thread.SpinWait(100));
        Assert.All(pool.HelperThreads, t => Assert.True(t.IsAlive));
        pool.Dispose();
        Assert.All(pool.HelperThreads, t => Assert.False(t.IsAlive));
        pool.Dispose();
    }

    [Fact]
    public void Building_and_disposing_pools_does_not_grow_the_process_threads()
    {
        static void BuildUseAndDispose()
        {
            using var pool = new IntraOpThreadPool(4);
            pool.Run(16, _ => Thread.SpinWait(100));
        }

        BuildUseAndDispose();                                                                   // whatever the first use starts
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        int before = process.Threads.Count;
        for (int i = 0; i < 50; i++)
        {
            BuildUseAndDispose();
        }

        process.Refresh();
        int after = process.Threads.Count;
        Assert.True(after <= before + 40, $"{before} threads before, {after} after 50 pools of 3 helpers each");     // slack for other tests' threads
    }

    [Fact]
    public void Run_and_For_after_Dispose_throw_ObjectDisposedException()
    {
        foreach (int threads in new[] { 1, 2 })
        {
            var pool = new IntraOpThreadPool(threads);
            pool.Dispose();
            Assert.Throws<ObjectDisposedException>(() => pool.Run(4, _ => { }));
            Assert.Throws<ObjectDisposedException>(() => pool.Run(0, _ => { }));
            Assert.Throws<ObjectDisposedException>(() => pool.For(1000, IntraOpThreadPool.MinParallelWork, (_, _) => { }));
        }
    }

    /// <summary>Only the calling thread's chunks block, so the helper is free to stop: joining it is not what makes
    /// Dispose wait.</summary>
    [Fact]
    public void Dispose_waits_for_a_call_in_flight_on_another_thread()
    {
        var pool = new IntraOpThreadPool(2);
        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var runs = new int[8];
        Thread? caller = null;
        caller = new Thread(() => pool.Run(runs.Length, c =>
        {
            if (Thread.CurrentThread == caller)
            {
                inside.Set();
                Assert.True(release.Wait(Patience));
            }

            Interlocked.Increment(ref runs[c]);
        }));
        caller.Start();
        Assert.True(inside.Wait(Patience));

        var disposer = new Thread(pool.Dispose);
        disposer.Start();
        Assert.False(disposer.Join(200), "Dispose returned while a call was still using the helpers");
        release.Set();
        Assert.True(disposer.Join(Patience));
        Assert.True(caller.Join(Patience));
        Assert.All(runs, n => Assert.Equal(1, n));
        Assert.All(pool.HelperThreads, t => Assert.False(t.IsAlive));
    }

    [Fact]
    public void Dispose_from_inside_a_body_is_refused_instead_of_waiting_forever()
    {
        var pool = new IntraOpThreadPool(2);                                                    // disposed at the end only: after a failure it would hang
        var errors = new Exception?[2];
        var caller = new Thread(() =>
        {
            using var together = new Barrier(2);                                                // one chunk on the caller, one on the helper
            pool.Run(2, c =>
            {
                Assert.True(together.SignalAndWait(Patience));
                errors[c] = Record.Exception(pool.Dispose);
            });
        })
        { IsBackground = true };                                                                // were Dispose to wait, this thread would never end
        caller.Start();
        Assert.True(caller.Join(Patience), "Dispose inside a body waited for the call it was part of");
        Assert.All(errors, e => Assert.IsType<InvalidOperationException>(e));

        var runs = new int[10];
        pool.Run(runs.Length, c => Interlocked.Increment(ref runs[c]));                         // still open
        Assert.All(runs, n => Assert.Equal(1, n));
        pool.Dispose();
    }

    [Fact]
    public void An_abandoned_pool_stops_its_helpers_when_collected()
    {
        var helpers = AbandonPool();
        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.All(helpers, t => Assert.True(t.Join(Patience), $"{t.Name} still runs"));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Thread[] AbandonPool()
    {
        var pool = new IntraOpThreadPool(3);
        pool.Run(8, _ => { });
        return [.. pool.HelperThreads];
    }
}
