using SentenceMtl.Modeling.Bert;
using SentenceMtl.Serialization;

namespace SentenceMtl.Tests;

/// <summary>A tiny random BERT (2 layers, hidden 32) written as a Hugging Face folder, for fast tests.</summary>
internal static partial class TinyModel
{
    public static readonly string[] Words =
    [
        "the", "a", "game", "team", "won", "lost", "match", "phone", "app", "software", "bug", "vote", "election",
        "law", "film", "movie", "song", "doctor", "health", "virus", "great", "terrible", "okay", "good", "bad",
        "new", "old", "fans", "loved", "hated", "released", "update", "players", "minister", "hospital", "show",
        ".", ",", "!", "##s", "##ed", "##ing",
    ];

    public static BertConfig Config => new()
    {
        VocabSize = 5 + Words.Length, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 64,
        MaxPositionEmbeddings = 64,
    };

    /// <summary>
    /// <paramref name="options"/> with the demo's tasks (topic and sentiment, which most tests and TinyData use) when it
    /// names none: a model is never given tasks by default.
    /// </summary>
    public static MultiTaskModelOptions TopicAndSentiment(MultiTaskModelOptions? options = null)
    {
        options ??= new MultiTaskModelOptions();
        return options.Tasks.Count > 0 ? options : options with { Tasks = [TaskDefinition.Topic, TaskDefinition.Sentiment] };
    }

    /// <summary>Writes the folder (deterministic weights for a given seed) and returns its path.</summary>
    public static string CreateFolder(string directory, long seed = 7)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "config.json"), Config.ToJson());
        File.WriteAllLines(Path.Combine(directory, "vocab.txt"), ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. Words]);
        SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"), RandomWeights(Config, seed));
        return directory;
    }

    /// <summary>
    /// Every weight of a BERT with <paramref name="config"/> (pooler included), drawn from a seeded generator as BERT
    /// initializes them: matrices and embeddings normal with sd 0.02, layer norms near 1 and 0, biases small; no
    /// TorchSharp, so the core's tests build models without libtorch.
    /// </summary>
    public static List<TensorData> RandomWeights(BertConfig config, long seed)
    {
        var random = new Random(unchecked((int)seed));
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var result = new List<TensorData>();
        foreach (var (name, expected) in BertWeightShapes.For(config, pooler: true))
        {
            var values = new float[expected.Shape.Aggregate(1L, (n, d) => n * d)];
            bool layerNormWeight = name.EndsWith("LayerNorm.weight", StringComparison.Ordinal);
            double sd = name.EndsWith(".bias", StringComparison.Ordinal) || layerNormWeight ? 0.05 : 0.02;
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (float)((layerNormWeight ? 1 : 0) + (sd * Normal()));
            }

            result.Add(TensorData.FromFloats(name, expected.Shape, values));
        }

        return result;
    }

    /// <summary>
    /// Gives an untrained model random heads (seeded), as if a trainer had handed them back, so tests of prediction,
    /// saving and serving need no libtorch.
    /// </summary>
    public static MultiTaskModel WithRandomHeads(this MultiTaskModel model, long seed = 3)
    {
        var random = new Random(unchecked((int)seed));
        var heads = model.Tasks.ToDictionary(t => t.Name, t => (IReadOnlyDictionary<string, TensorData>)SentenceMtl.MultiTask.MlpHead
            .ExpectedShapes(model.Encoder.Dimension, model.Options.HiddenSizesFor(t.Name), t.Labels.Count)
            .ToDictionary(kv => kv.Key, kv => TensorData.FromFloats(kv.Key, kv.Value.Shape,
                [.. Enumerable.Range(0, (int)kv.Value.Shape.Aggregate(1L, (n, d) => n * d)).Select(_ => (float)(random.NextDouble() - 0.5))]),
                StringComparer.Ordinal));
        using (model.Exclusive())
        {
            model.TakeTrained(heads, null);
        }

        return model;
    }

    /// <summary>A fresh temporary folder holding the tiny model.</summary>
    public static TempFolder Create(long seed = 7)
    {
        var folder = new TempFolder();
        CreateFolder(Path.Combine(folder.Path, "tiny"), seed);
        return folder;
    }
}

/// <summary>A temporary directory deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Path = Directory.CreateTempSubdirectory("sentencemtl-test").FullName;

    public string Path { get; }

    public string Model => System.IO.Path.Combine(Path, "tiny");

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
