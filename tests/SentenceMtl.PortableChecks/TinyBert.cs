using SentenceMtl.Modeling.Bert;
using SentenceMtl.Serialization;

namespace SentenceMtl.PortableChecks;

/// <summary>
/// A tiny random BERT built in code (2 layers, hidden 48, 4 heads of 12 — a head size off the 128-bit vector's
/// multiple of 8 — intermediate 96) and written as a Hugging Face folder with <see cref="SafetensorsWriter"/>. The
/// weights are larger than BERT's initialization (matrices sd 0.15 rather than 0.02) so attention and the
/// feed-forward layers move the embeddings instead of the embeddings' layer norm deciding them alone.
/// </summary>
internal static class TinyBert
{
    public static readonly string[] Words =
    [
        "the", "a", "game", "team", "won", "lost", "match", "phone", "app", "software", "bug", "vote", "election",
        "law", "film", "movie", "song", "doctor", "health", "virus", "great", "terrible", "okay", "good", "bad",
        "new", "old", "fans", "loved", "hated", "released", "update", "players", "minister", "hospital", "show",
        ".", ",", "!", "##s", "##ed", "##ing",
    ];

    /// <summary>Fixed sentences of 2 to 40 tokens: single tokens, unknown words, subwords, punctuation, tiles of 6 ± 1 rows.</summary>
    public static readonly string[] Sentences =
    [
        "",
        "great",
        "the team won the match.",
        "fans loved the new film, the song and the show!",
        "a terrible bug in the software update: players hated it",
        "doctor", "zebra quantum xylophone",
        "the minister released a new law , the election vote is okay . the hospital and the doctor lost the virus , " +
        "fans hated the old movie but loved the new song !",
    ];

    public static BertConfig Config => new()
    {
        VocabSize = 5 + Words.Length, HiddenSize = 48, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 96,
        MaxPositionEmbeddings = 64,
    };

    /// <summary>Every weight, seeded (see <see cref="Seeded"/>: the same floats on every platform), by Hugging Face name.</summary>
    public static Dictionary<string, (long[] Shape, float[] Values)> Weights(int seed = 11)
    {
        var result = new Dictionary<string, (long[], float[])>(StringComparer.Ordinal);
        int index = 0;
        foreach (var (name, expected) in BertWeightShapes.For(Config, pooler: true))
        {
            long count = expected.Shape.Aggregate(1L, (n, d) => n * d);
            bool norm = name.Contains("LayerNorm", StringComparison.Ordinal);
            double sd = name.EndsWith(".bias", StringComparison.Ordinal) ? 0.05
                : norm ? 0.1
                : name.Contains("embeddings", StringComparison.Ordinal) ? 0.5 : 0.15;
            var values = Seeded.Normal(seed + index++, count, sd);
            if (norm && name.EndsWith(".weight", StringComparison.Ordinal))
            {
                values = [.. values.Select(v => 1 + v)];
            }

            result[name] = (expected.Shape, values);
        }

        return result;
    }

    /// <summary>Writes config.json, vocab.txt and model.safetensors into <paramref name="directory"/>.</summary>
    public static void WriteFolder(string directory, Dictionary<string, (long[] Shape, float[] Values)> weights)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "config.json"), Config.ToJson());
        File.WriteAllLines(Path.Combine(directory, "vocab.txt"), ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. Words]);
        SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"),
            weights.Select(kv => TensorData.FromFloats(kv.Key, kv.Value.Shape, kv.Value.Values)));
    }
}
