using System.Diagnostics;

namespace SentenceMtl.Benchmarks;

/// <summary>Wall-clock time summed per named stage of a pipeline (a Stopwatch breakdown; stages run one after another).</summary>
internal sealed class StageTimes
{
    private readonly Dictionary<string, TimeSpan> totals = new(StringComparer.Ordinal);
    private readonly List<string> order = [];

    /// <summary>The stages in first-seen order with their total time.</summary>
    public IEnumerable<(string Stage, TimeSpan Total)> Stages => order.Select(s => (s, totals[s]));

    /// <summary>The sum over all stages.</summary>
    public TimeSpan Total => totals.Values.Aggregate(TimeSpan.Zero, (a, b) => a + b);

    /// <summary>Runs <paramref name="action"/> and adds its time to <paramref name="stage"/>.</summary>
    public T Time<T>(string stage, Func<T> action)
    {
        long start = Stopwatch.GetTimestamp();
        var result = action();
        Add(stage, Stopwatch.GetElapsedTime(start));
        return result;
    }

    /// <summary>Adds <paramref name="elapsed"/> to <paramref name="stage"/>.</summary>
    public void Add(string stage, TimeSpan elapsed)
    {
        if (!totals.TryGetValue(stage, out var sum))
        {
            order.Add(stage);
            sum = TimeSpan.Zero;
        }

        totals[stage] = sum + elapsed;
    }

    /// <summary>Time of <paramref name="stage"/> (zero if it never ran).</summary>
    public TimeSpan this[string stage] => totals.GetValueOrDefault(stage);
}
