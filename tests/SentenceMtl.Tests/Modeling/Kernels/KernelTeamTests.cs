using System.Collections.Concurrent;
using SentenceMtl.Modeling.Kernels;

namespace SentenceMtl.Tests.Modeling.Kernels;

public class KernelTeamTests
{
    [Fact]
    public void Every_part_runs_once_the_first_on_the_calling_thread_the_rest_on_helpers()
    {
        var team = new KernelTeam(3);                                                           // not the shared team other tests use
        for (int call = 0; call < 200; call++)                                                  // helpers spinning and asleep
        {
            var threads = new ConcurrentDictionary<int, int>();
            Assert.True(team.TryRun(4, t => threads[t] = Environment.CurrentManagedThreadId));
            Assert.Equal([0, 1, 2, 3], threads.Keys.Order());
            Assert.Equal(Environment.CurrentManagedThreadId, threads[0]);
            Assert.Equal(4, threads.Values.Distinct().Count());
            if (call % 50 == 0)
            {
                Thread.Sleep(5);                                                                // long enough for the helpers to sleep
            }
        }
    }

    [Fact]
    public void A_busy_team_refuses_and_the_split_still_covers_every_item()
    {
        var team = new KernelTeam(1);
        bool? nested = null;
        Assert.True(team.TryRun(2, t =>
        {
            if (t == 0)
            {
                nested = team.TryRun(2, _ => { });                                              // the team is this call's
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
    public void A_helpers_exception_reaches_the_caller_and_the_team_keeps_working()
    {
        var team = new KernelTeam(1);
        var error = Assert.Throws<InvalidOperationException>(() => team.TryRun(2, t =>
        {
            if (t == 1)
            {
                throw new InvalidOperationException("helper failed");
            }
        }));
        Assert.Equal("helper failed", error.Message);
        int sum = 0;
        Assert.True(team.TryRun(2, t => Interlocked.Add(ref sum, t + 1)));
        Assert.Equal(3, sum);
    }
}
