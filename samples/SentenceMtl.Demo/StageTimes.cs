using System.Diagnostics;
using Spectre.Console;

namespace SentenceMtl.Demo;

/// <summary>
/// The wall-clock and CPU time of each stage of a run, each measured on its own, for the closing timing table. CPU time
/// is the whole process's (all threads), so on a busy machine it shows how much of the wall time was this run's work.
/// </summary>
internal sealed class StageTimes
{
    private readonly List<(string Stage, TimeSpan Time, TimeSpan? Cpu, string Detail)> stages = [];

    /// <summary>The stages recorded so far, in order.</summary>
    public IReadOnlyList<(string Stage, TimeSpan Time, TimeSpan? Cpu, string Detail)> Stages => stages;

    /// <summary>Runs <paramref name="work"/>, records its times under <paramref name="stage"/> and returns its result.</summary>
    public T Measure<T>(string stage, string detail, Func<T> work)
    {
        var cpu = ProcessCpu();
        var watch = Stopwatch.StartNew();
        var result = work();
        stages.Add((stage, watch.Elapsed, ProcessCpu() - cpu, detail));
        return result;
    }

    /// <summary>Runs <paramref name="work"/> and records its times under <paramref name="stage"/>.</summary>
    public void Measure(string stage, string detail, Action work) => Measure(stage, detail, () =>
    {
        work();
        return 0;
    });

    /// <summary>Records a wall-clock time measured elsewhere (e.g. the trainer's own stage durations).</summary>
    /// <param name="stage">The stage's name.</param>
    /// <param name="time">Its wall-clock time.</param>
    /// <param name="cpu">Its CPU time, if known.</param>
    /// <param name="detail">What it did.</param>
    public void Add(string stage, TimeSpan time, TimeSpan? cpu, string detail) => stages.Add((stage, time, cpu, detail));

    /// <summary>The process's CPU time so far, all threads.</summary>
    public static TimeSpan ProcessCpu()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    /// <summary>The sum of every stage's wall-clock time.</summary>
    public TimeSpan Total => stages.Aggregate(TimeSpan.Zero, (sum, stage) => sum + stage.Time);

    /// <summary>The stages as a table: name, wall-clock seconds, CPU seconds, what was done; then the totals.</summary>
    public Table ToTable()
    {
        var table = new Table().AddColumn("stage").AddColumn(new TableColumn("time").RightAligned())
            .AddColumn(new TableColumn("CPU").RightAligned()).AddColumn("what");
        foreach (var (stage, time, cpu, detail) in stages)
        {
            table.AddRow(Markup.Escape(stage), ResultTables.Seconds(time), cpu is { } c ? ResultTables.Seconds(c) : "", Markup.Escape(detail));
        }
        var cpuTotal = stages.All(s => s.Cpu is not null) ? stages.Aggregate(TimeSpan.Zero, (sum, s) => sum + s.Cpu!.Value) : (TimeSpan?)null;
        table.AddRow("[bold]total[/]", $"[bold]{ResultTables.Seconds(Total)}[/]", cpuTotal is { } total ? ResultTables.Seconds(total) : "",
            "the stages above (process start and build not included)");
        return table;
    }
}
