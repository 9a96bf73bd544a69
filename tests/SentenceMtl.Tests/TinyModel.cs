using SentenceMtl.Checkpoints;
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

    /// <summary>Writes the folder (deterministic weights for a given seed) and returns its path.</summary>
    public static string CreateFolder(string directory, long seed = 7)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "config.json"), Config.ToJson());
        File.WriteAllLines(Path.Combine(directory, "vocab.txt"), ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. Words]);
        TorchSharp.torch.manual_seed(seed);
        using var model = new BertModel(Config);
        SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"),
            model.state_dict().Select(kv => TensorConversion.ToData(kv.Key, kv.Value)).ToList());
        return directory;
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
