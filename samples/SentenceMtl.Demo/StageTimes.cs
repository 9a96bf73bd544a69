using System.Diagnostics;
using Spectre.Console;

namespace SentenceMtl.Demo;

/// <summary>The wall-clock time of each stage of a run, each measured on its own, for the closing timing table.</summary>
internal sealed class StageTimes
{
    private readonly List<(string Stage, TimeSpan Time, string Detail)> stages = [];

    /// <summary>The stages recorded so far, in order.</summary>
    public IReadOnlyList<(string Stage, TimeSpan Time, string Detail)> Stages => stages;

    /// <summary>Runs <paramref name="work"/>, records its time under <paramref name="stage"/> and returns its result.</summary>
    public T Measure<T>(string stage, string detail, Func<T> work)
    {
        var watch = Stopwatch.StartNew();
        var result = work();
        Add(stage, watch.Elapsed, detail);
        return result;
    }

    /// <summary>Runs <paramref name="work"/> and records its time under <paramref name="stage"/>.</summary>
    public void Measure(string stage, string detail, Action work) => Measure(stage, detail, () =>
    {
        work();
        return 0;
    });

    /// <summary>Records a time measured elsewhere (e.g. the trainer's own stage durations).</summary>
    public void Add(string stage, TimeSpan time, string detail) => stages.Add((stage, time, detail));

    /// <summary>The sum of every stage's time.</summary>
    public TimeSpan Total => stages.Aggregate(TimeSpan.Zero, (sum, stage) => sum + stage.Time);

    /// <summary>The stages as a table: name, seconds, what was done; then the total.</summary>
    public Table ToTable()
    {
        var table = new Table().AddColumn("stage").AddColumn(new TableColumn("time").RightAligned()).AddColumn("what");
        foreach (var (stage, time, detail) in stages)
        {
            table.AddRow(Markup.Escape(stage), ResultTables.Seconds(time), Markup.Escape(detail));
        }
        table.AddRow("[bold]total[/]", $"[bold]{ResultTables.Seconds(Total)}[/]", "the stages above (process start and build not included)");
        return table;
    }
}
