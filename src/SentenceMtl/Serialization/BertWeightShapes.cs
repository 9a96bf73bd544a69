using SentenceMtl.Modeling.Bert;

namespace SentenceMtl.Serialization;

/// <summary>
/// The shape of every <c>BertModel</c> state-dict key a <see cref="BertConfig"/> implies, worked out from the numbers
/// alone, so a weight file can be compared with its <c>config.json</c> before a single parameter is allocated. Each
/// shape carries the config fields it comes from, for the error message.
/// </summary>
internal static class BertWeightShapes
{
    /// <summary>One expected tensor: its shape and the config fields that give each dimension.</summary>
    /// <param name="Shape">The dimensions.</param>
    /// <param name="Fields">The config fields behind them, e.g. <c>vocab_size × hidden_size</c>.</param>
    public sealed record Expected(long[] Shape, string Fields);

    /// <summary>Every key of a <c>BertModel</c> built from <paramref name="config"/> (with <c>pooler.*</c> when <paramref name="pooler"/>).</summary>
    public static Dictionary<string, Expected> For(BertConfig config, bool pooler)
    {
        long h = config.HiddenSize, i = config.IntermediateSize;
        var vector = new Expected([h], "hidden_size");
        var square = new Expected([h, h], "hidden_size × hidden_size");
        var result = new Dictionary<string, Expected>(StringComparer.Ordinal)
        {
            ["embeddings.word_embeddings.weight"] = new([config.VocabSize, h], "vocab_size × hidden_size"),
            ["embeddings.position_embeddings.weight"] = new([config.MaxPositionEmbeddings, h], "max_position_embeddings × hidden_size"),
            ["embeddings.token_type_embeddings.weight"] = new([config.TypeVocabSize, h], "type_vocab_size × hidden_size"),
            ["embeddings.LayerNorm.weight"] = vector,
            ["embeddings.LayerNorm.bias"] = vector,
        };
        for (int layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            string p = $"encoder.layer.{layer}.";
            foreach (string name in new[] { "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense" })
            {
                result[p + name + ".weight"] = square;
                result[p + name + ".bias"] = vector;
            }

            result[p + "intermediate.dense.weight"] = new([i, h], "intermediate_size × hidden_size");
            result[p + "intermediate.dense.bias"] = new([i], "intermediate_size");
            result[p + "output.dense.weight"] = new([h, i], "hidden_size × intermediate_size");
            result[p + "output.dense.bias"] = vector;
            foreach (string norm in new[] { "attention.output.LayerNorm", "output.LayerNorm" })
            {
                result[p + norm + ".weight"] = vector;
                result[p + norm + ".bias"] = vector;
            }
        }

        if (pooler)
        {
            result["pooler.dense.weight"] = square;
            result["pooler.dense.bias"] = vector;
        }

        return result;
    }
}
