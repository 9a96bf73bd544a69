using System.Globalization;
using Spectre.Console;

namespace SentenceMtl.Demo;

/// <summary>Spectre.Console renderings shared by the modes: headings, classification reports, confusion matrices.</summary>
internal static class ResultTables
{
    /// <summary>A section heading (a rule with a title; plain dashes on a non-ANSI console).</summary>
    public static void Heading(IAnsiConsole console, string title)
    {
        console.WriteLine();
        console.Write(new Rule($"[bold]{Markup.Escape(title)}[/]").LeftJustified());
    }

    /// <summary>Prints each task's scikit-learn-style report and confusion matrix, in task order.</summary>
    public static void Reports(IAnsiConsole console, IReadOnlyList<TaskDefinition> tasks,
        IReadOnlyDictionary<string, ClassificationReport> reports, bool confusionMatrices)
    {
        foreach (var task in tasks)
        {
            if (!reports.TryGetValue(task.Name, out var report))
            {
                console.WriteLine($"{task.Name}: no labelled examples to evaluate.");
                continue;
            }
            Heading(console, $"{task.Name}: classification report");
            console.Write(new Text(report.ToText()));
            if (confusionMatrices)
            {
                console.WriteLine($"{task.Name}: confusion matrix (rows true, columns predicted)");
                console.Write(ConfusionMatrix(task, report.ConfusionMatrix));
            }
        }
    }

    /// <summary>The confusion matrix as a table: rows are true labels, columns predicted ones, the diagonal in green.</summary>
    public static Table ConfusionMatrix(TaskDefinition task, ConfusionMatrix matrix)
    {
        var table = new Table();
        table.AddColumn("true \\ predicted");
        foreach (var label in task.Labels)
        {
            table.AddColumn(new TableColumn(Markup.Escape(label)).RightAligned());
        }
        for (int i = 0; i < task.Labels.Count; i++)
        {
            var cells = new List<string> { Markup.Escape(task.Labels[i]) };
            for (int j = 0; j < task.Labels.Count; j++)
            {
                string count = matrix[i, j].ToString(CultureInfo.InvariantCulture);
                cells.Add(i == j ? $"[green]{count}[/]" : matrix[i, j] > 0 ? $"[red]{count}[/]" : $"[grey]{count}[/]");
            }
            table.AddRow(cells.ToArray());
        }
        return table;
    }

    /// <summary>A number with <paramref name="digits"/> decimals, culture-independent.</summary>
    public static string Format(double value, int digits = 3) => value.ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>The contrastive stage in a few words: pairs, steps and pairs per second.</summary>
    public static string Describe(ContrastiveSummary pairs) => string.Create(CultureInfo.InvariantCulture,
        $"{pairs.Pairs} pairs in {pairs.Steps} step{(pairs.Steps == 1 ? "" : "s")}, {pairs.PairsPerSecond:F1} pairs/s");

    /// <summary>Seconds with one decimal, e.g. <c>12.3 s</c>.</summary>
    public static string Seconds(TimeSpan elapsed) => Format(elapsed.TotalSeconds, 1) + " s";
}
