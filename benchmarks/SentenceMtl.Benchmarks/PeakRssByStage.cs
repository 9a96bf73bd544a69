namespace SentenceMtl.Benchmarks;

/// <summary>
/// The largest resident set size seen in each stage of a run, sampled every 20 ms on a timer thread: which stage sets
/// the process's peak. The stage is whatever the caller last set.
/// </summary>
internal sealed class PeakRssByStage : IDisposable
{
    private readonly Dictionary<string, long> peaks = [];
    private readonly List<string> order = [];
    private readonly Lock gate = new();
    private readonly Timer timer;
    private string stage;

    public PeakRssByStage(string first)
    {
        stage = first;
        Sample();
        timer = new Timer(_ => Sample(), null, 0, 20);
    }

    /// <summary>The stage samples are counted under from now on.</summary>
    public string Stage
    {
        get { lock (gate) { return stage; } }
        set
        {
            Sample();                                                                           // the old stage's last sample
            lock (gate) { stage = value; }
        }
    }

    private void Sample()
    {
        long rss = ProcessMemory.Rss;
        lock (gate)
        {
            if (!peaks.TryGetValue(stage, out long peak))
            {
                order.Add(stage);
            }

            peaks[stage] = Math.Max(peak, rss);
        }
    }

    /// <summary><c>stage peak, …</c> in the order the stages began.</summary>
    public override string ToString()
    {
        lock (gate)
        {
            return string.Join(", ", order.Select(s => $"{s} {ProcessMemory.Mib(peaks[s])}"));
        }
    }

    public void Dispose() => timer.Dispose();
}
