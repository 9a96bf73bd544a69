using System.Globalization;
using Spectre.Console;

namespace SentenceMtl.Demo;

/// <summary>Reads the demo's datasets with the recipe's tasks and describes them.</summary>
internal static class DataFiles
{
    /// <summary>The folder of the shipped ten-sentence demo data (copied next to the executable).</summary>
    public static string DemoDirectory => Path.Combine(AppContext.BaseDirectory, "data");

    /// <summary>Reads <paramref name="path"/> (JSON Lines, CSV or TSV) with <see cref="Recipe.Tasks"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DatasetFormatException">The file is malformed or has an unknown label.</exception>
    public static MultiTaskDataset Load(string path) => MultiTaskDataset.Load(path, Recipe.Tasks);

    /// <summary>A table of the datasets' sizes and label counts per task.</summary>
    /// <param name="datasets">Role (train, test, …) and dataset; null datasets are left out.</param>
    public static Table Summary(params (string Role, MultiTaskDataset? Data)[] datasets)
    {
        var table = new Table();
        table.AddColumn("set");
        table.AddColumn(new TableColumn("examples").RightAligned());
        foreach (var task in Recipe.Tasks)
        {
            table.AddColumn($"{task.Name} labels");
        }
        foreach (var (role, data) in datasets)
        {
            if (data is null)
            {
                continue;
            }
            var counts = data.LabelCounts();
            var cells = new List<string> { role, data.Count.ToString(CultureInfo.InvariantCulture) };
            foreach (var task in data.Tasks)
            {
                cells.Add(Markup.Escape(string.Join(" ", task.Labels.Select((label, i) =>
                    string.Create(CultureInfo.InvariantCulture, $"{label}:{counts[task.Name][i]}")))));
            }
            table.AddRow(cells.ToArray());
        }
        return table;
    }
}
