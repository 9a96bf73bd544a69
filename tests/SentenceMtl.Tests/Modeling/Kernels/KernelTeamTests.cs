using System.Collections.Concurrent;
using SentenceMtl.Modeling.Kernels;

namespace SentenceMtl.Tests.Modeling.Kernels;

public class KernelTeamTests
{
    [Fact]
    public void Every_chunk_runs_once_and_awake_helpers_take_some()
    {
        var team = new KernelTeam(3);                                                           // not the shared team other tests use
        var helperThreads = new ConcurrentDictionary<int, bool>();
        for (int call = 0; call < 200; call++)                                                  // helpers spinning and asleep
        {
            var runs = new int[64];
            Assert.True(team.TryRun(4, runs.Length, c =>
            {
                Interlocked.Increment(ref runs[c]);
                Thread.SpinWait(2000);                                                          // a few microseconds of work per chunk
                helperThreads[Environment.CurrentManagedThreadId] = true;
            }));
            Assert.All(runs, n => Assert.Equal(1, n));
            if (call % 50 == 0)
            {
                Thread.Sleep(5);                                                                // long enough for the helpers to sleep
            }
        }

        helperThreads.TryRemove(Environment.CurrentManagedThreadId, out _);
        Assert.NotEmpty(helperThreads);                                                         // the helpers did take part
        Assert.True(helperThreads.Count <= 3);
    }

    /// <summary>A helper held up inside its first chunk (as when its core is taken away) keeps that chunk only: the caller
    /// runs the other fifteen instead of waiting for the helper's half.</summary>
    [Fact]
    public void A_stuck_helper_leaves_the_other_chunks_to_the_caller()
    {
        var team = new KernelTeam(1);
        Assert.True(team.TryRun(2, 4, _ => Thread.SpinWait(1000)));                             // the helper is up and spinning
        int caller = Environment.CurrentManagedThreadId, onCaller = 0, onHelper = 0;
        using var unblock = new ManualResetEventSlim();
        using var timer = new Timer(_ => unblock.Set(), null, 300, Timeout.Infinite);
        Assert.True(team.TryRun(2, 16, c =>
        {
            if (Environment.CurrentManagedThreadId == caller)
            {
                Interlocked.Increment(ref onCaller);
                Thread.SpinWait(20_000);
            }
            else
            {
                Interlocked.Increment(ref onHelper);
                unblock.Wait();
            }
        }));
        Assert.Equal(16, onCaller + onHelper);
        Assert.True(onHelper <= 1, $"the stuck helper ran {onHelper} chunks");
        Assert.Equal(onHelper == 1, unblock.IsSet);                                             // a claimed chunk is waited for, an absent helper is not
    }

    [Fact]
    public void A_busy_team_refuses_and_the_split_still_covers_every_item()
    {
        var team = new KernelTeam(1);
        bool? nested = null;
        Assert.True(team.TryRun(2, 2, c =>
        {
            if (c == 0)
            {
                nested = team.TryRun(2, 2, _ => { });                                           // the team is this call's
            }
        }));
        Assert.False(nested);

        var seen = new int[1000];
        using (InferenceThreads.Use(2))
        {
            InferenceThreads.Split(1000, 1L << 20, (first, end) =>
            {
                for (int i = first; i < end; i++)
                {
                    seen[i]++;
                }

                using var inner = InferenceThreads.Use(2);                                      // nested split while the team is busy: thread pool
                InferenceThreads.Split(10, 1L << 20, (a, b) => { });
            });
        }

        Assert.All(seen, n => Assert.Equal(1, n));
    }

    [Fact]
    public void A_chunks_exception_reaches_the_caller_and_the_team_keeps_working()
    {
        var team = new KernelTeam(1);
        var error = Assert.Throws<InvalidOperationException>(() => team.TryRun(2, 8, c =>
        {
            if (c == 5)
            {
                throw new InvalidOperationException("chunk failed");
            }
        }));
        Assert.Equal("chunk failed", error.Message);
        int sum = 0;
        Assert.True(team.TryRun(2, 8, c => Interlocked.Add(ref sum, c + 1)));
        Assert.Equal(36, sum);
    }
}
