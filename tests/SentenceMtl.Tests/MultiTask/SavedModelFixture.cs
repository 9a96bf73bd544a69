using System.Globalization;

namespace SentenceMtl.Tests;

/// <summary>
/// Fixtures/multitask-v0.1.0: a tiny multi-task model (random 2-layer BERT, tasks "topic" and "mood.fine", heads of one
/// and two hidden layers, mean pooling, normalized) trained for five epochs and saved by SentenceMtl 0.1.0, before the
/// package split, and the probabilities that version's libtorch path predicted for five sentences
/// (multitask-v0.1.0.expected.tsv: text, task, label, probabilities).
/// </summary>
internal static class SavedModelFixture
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "MultiTask", "Fixtures", "multitask-v0.1.0");

    public sealed record Row(string Text, string Task, string Label, float[] Probabilities);

    public static List<Row> Expected() => [.. File.ReadLines(Folder + ".expected.tsv")
        .Select(line => line.Split('\t'))
        .Select(f => new Row(f[0], f[1], f[2], [.. f[3..].Select(x => float.Parse(x, CultureInfo.InvariantCulture))]))];
}
