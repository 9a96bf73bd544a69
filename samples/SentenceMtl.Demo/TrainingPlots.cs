using System.Globalization;
using ScottPlot;

namespace SentenceMtl.Demo;

/// <summary>The <c>--plots</c> PNGs (ScottPlot): loss per epoch, validation macro-F1 per epoch, a confusion-matrix heatmap per task.</summary>
internal static class TrainingPlots
{
    private const int Width = 900;
    private const int Height = 560;

    /// <summary>Writes the plots into <paramref name="directory"/> (created if needed).</summary>
    /// <returns>The files written.</returns>
    public static IReadOnlyList<string> Write(string directory, IReadOnlyList<TaskDefinition> tasks, TrainingResult result,
        IReadOnlyDictionary<string, ClassificationReport> reports)
    {
        Directory.CreateDirectory(directory);
        var files = new List<string> { Save(LossPlot(tasks, result), Path.Combine(directory, "loss.png")) };
        if (result.Epochs.Any(e => e.ValidationMacroF1 is not null))
        {
            files.Add(Save(ValidationPlot(tasks, result), Path.Combine(directory, "validation_macro_f1.png")));
        }
        foreach (var task in tasks.Where(t => reports.ContainsKey(t.Name)))
        {
            files.Add(Save(ConfusionPlot(task, reports[task.Name].ConfusionMatrix), Path.Combine(directory, $"confusion_{task.Name}.png")));
        }
        return files;
    }

    private static Plot LossPlot(IReadOnlyList<TaskDefinition> tasks, TrainingResult result)
    {
        var plot = new Plot();
        double[] epochs = [.. result.Epochs.Select(e => (double)e.Epoch)];
        foreach (var task in tasks)
        {
            var line = plot.Add.Scatter(epochs, result.Epochs.Select(e => e.TaskLosses.TryGetValue(task.Name, out var loss) ? loss : double.NaN).ToArray());
            line.LegendText = task.Name;
        }
        var total = plot.Add.Scatter(epochs, result.Epochs.Select(e => e.Loss).ToArray());
        total.LegendText = "total";
        total.LineWidth = 3;
        total.Color = Colors.Black;
        plot.Title("Training loss per epoch");
        plot.XLabel("epoch");
        plot.YLabel("mean cross-entropy");
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    private static Plot ValidationPlot(IReadOnlyList<TaskDefinition> tasks, TrainingResult result)
    {
        var plot = new Plot();
        var epochs = result.Epochs.Where(e => e.ValidationMacroF1 is not null).ToArray();
        double[] xs = [.. epochs.Select(e => (double)e.Epoch)];
        foreach (var task in tasks)
        {
            var line = plot.Add.Scatter(xs, epochs.Select(e => e.ValidationMacroF1!.TryGetValue(task.Name, out var f1) ? f1 : double.NaN).ToArray());
            line.LegendText = task.Name;
        }
        var mean = plot.Add.Scatter(xs, epochs.Select(e => e.MeanValidationMacroF1 ?? double.NaN).ToArray());
        mean.LegendText = "mean";
        mean.LineWidth = 3;
        mean.Color = Colors.Black;
        var best = plot.Add.VerticalLine(result.BestEpoch);
        best.LinePattern = LinePattern.Dashed;
        best.LegendText = string.Create(CultureInfo.InvariantCulture, $"kept: epoch {result.BestEpoch}");
        plot.Axes.SetLimitsY(0, 1.05);
        plot.Title("Validation macro-F1 per epoch");
        plot.XLabel("epoch");
        plot.YLabel("macro-F1");
        plot.ShowLegend(Alignment.LowerRight);
        return plot;
    }

    private static Plot ConfusionPlot(TaskDefinition task, ConfusionMatrix matrix)
    {
        int n = task.Labels.Count;
        var counts = new double[n, n];
        int max = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                counts[i, j] = matrix[i, j];
                max = Math.Max(max, matrix[i, j]);
            }
        }
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(counts);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        var colorBar = plot.Add.ColorBar(heatmap);
        colorBar.Axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                // Row i (true label) is drawn at y = n - 1 - i so the first label is on top, as in scikit-learn.
                var text = plot.Add.Text(matrix[i, j].ToString(CultureInfo.InvariantCulture), j, n - 1 - i);
                text.Alignment = Alignment.MiddleCenter;
                text.LabelFontSize = 18;
                text.LabelBold = true;
                text.LabelFontColor = matrix[i, j] > max / 2.0 ? Colors.Black : Colors.White;
            }
        }
        double[] positions = [.. Enumerable.Range(0, n).Select(i => (double)i)];
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, [.. task.Labels]);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, [.. task.Labels.Reverse()]);
        plot.Axes.TightMargins();
        plot.HideGrid();
        plot.Title($"{task.Name}: confusion matrix");
        plot.XLabel("predicted");
        plot.YLabel("true");
        return plot;
    }

    private static string Save(Plot plot, string path)
    {
        plot.SavePng(path, Width, Height);
        return path;
    }
}
