using System.Globalization;
using System.Text.Json.Nodes;
using SentenceMtl.Modeling.Bert;
using SentenceMtl.MultiTask;
using SentenceMtl.Serialization;

namespace SentenceMtl.Tests;

/// <summary>
/// A tiny multi-task model in the folder format SentenceMtl 0.1.0 saved (tasks "topic" and "mood.fine", heads of one and
/// two hidden layers, mean pooling, normalized), and the probabilities 0.1.0's libtorch path predicted for it
/// (Fixtures/multitask-v0.1.0.expected.tsv: text, task, label, probabilities). The folder's text files are those 0.1.0
/// wrote; its weights are not committed: <see cref="Create(string, string)"/> writes them from fixed seeds (the backbone
/// <see cref="TinyModel.RandomWeights"/> with seed 11, the heads uniform in [-0.5, 0.5) with seed 5), the weights
/// 0.1.0 loaded when it computed the expected probabilities.
/// </summary>
internal static class SavedModelFixture
{
    /// <summary>The committed text files of the folder.</summary>
    public static string Committed => Path.Combine(AppContext.BaseDirectory, "MultiTask", "Fixtures", "multitask-v0.1.0");

    public sealed record Row(string Text, string Task, string Label, float[] Probabilities);

    public static List<Row> Expected() => [.. File.ReadLines(Committed + ".expected.tsv")
        .Select(line => line.Split('\t'))
        .Select(f => new Row(f[0], f[1], f[2], [.. f[3..].Select(x => float.Parse(x, CultureInfo.InvariantCulture))]))];

    /// <summary>Writes the whole folder (text files and weights) as <c>multitask-v0.1.0</c> under <paramref name="parent"/>.</summary>
    /// <returns>The folder's path.</returns>
    public static string Create(string parent) => Create(Committed, parent);

    /// <summary>As <see cref="Create(string)"/>, from the text files in <paramref name="committed"/>.</summary>
    public static string Create(string committed, string parent)
    {
        string folder = Path.Combine(parent, "multitask-v0.1.0");
        foreach (string file in Directory.GetFiles(committed, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(folder, Path.GetRelativePath(committed, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        Directory.CreateDirectory(Path.Combine(folder, "2_Normalize"));                          // empty, so git keeps no copy of it
        var config = BertConfig.FromJson(File.ReadAllText(Path.Combine(folder, "config.json")));
        SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), TinyModel.RandomWeights(config, seed: 11));
        SafetensorsWriter.Write(Path.Combine(folder, "heads.safetensors"), Heads(folder, config.HiddenSize));
        return folder;
    }

    private static List<TensorData> Heads(string folder, int inputSize)
    {
        var random = new Random(5);
        var heads = new List<TensorData>();
        foreach (var task in JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "multitask_config.json")))!["tasks"]!.AsArray())
        {
            string name = task!["name"]!.GetValue<string>();
            var hidden = task["hidden_sizes"]!.AsArray().Select(h => h!.GetValue<int>()).ToArray();
            int labels = task["labels"]!.AsArray().Count;
            foreach (var (key, (shape, _)) in MlpHead.ExpectedShapes(inputSize, hidden, labels))
            {
                var values = new float[shape.Aggregate(1L, (n, d) => n * d)];
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = (float)(random.NextDouble() - 0.5);
                }

                heads.Add(TensorData.FromFloats($"{name}.{key}", shape, values));
            }
        }

        return heads;
    }
}
