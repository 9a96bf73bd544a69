using System.Text.Json;
using SentenceMtl.Serialization;

namespace SentenceMtl.ModelConverter;

/// <summary>
/// The tensor names and shapes a Hugging Face <c>BertModel</c> with a given <c>config.json</c> has, and the check that
/// imported weights are exactly those (fp32; the pooler may be missing, as pruned exports drop it).
/// </summary>
internal sealed record BertShapes(int VocabSize, int Hidden, int Layers, int Intermediate, int Positions, int TypeVocabSize)
{
    /// <summary>Reads the sizes from the Hugging Face <c>config.json</c> at <paramref name="path"/>.</summary>
    /// <exception cref="ModelFormatException">The file is missing, not JSON, not a BERT config, or a size is missing or not positive.</exception>
    public static BertShapes Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new ModelFormatException(path, "file not found (the model's Hugging Face config.json).");
        }

        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            if (!root.TryGetProperty("model_type", out var type) || type.GetString() != "bert")
            {
                throw new ModelFormatException(path, "'model_type' must be \"bert\".");
            }

            int Size(string key) =>
                root.TryGetProperty(key, out var v) && v.TryGetInt32(out int n) && n > 0
                    ? n
                    : throw new ModelFormatException(path, $"'{key}' must be a positive integer.");
            return new BertShapes(Size("vocab_size"), Size("hidden_size"), Size("num_hidden_layers"), Size("intermediate_size"),
                Size("max_position_embeddings"), Size("type_vocab_size"));
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new ModelFormatException(path, $"not a valid config.json ({ex.Message}).", ex);
        }
    }

    /// <summary>Every BertModel key with its shape, in state-dict order; the pooler last.</summary>
    public IReadOnlyList<(string Key, long[] Shape)> Expected(bool withPooler)
    {
        var keys = new List<(string, long[])>
        {
            ("embeddings.word_embeddings.weight", [VocabSize, Hidden]),
            ("embeddings.position_embeddings.weight", [Positions, Hidden]),
            ("embeddings.token_type_embeddings.weight", [TypeVocabSize, Hidden]),
            ("embeddings.LayerNorm.weight", [Hidden]),
            ("embeddings.LayerNorm.bias", [Hidden]),
        };
        for (int layer = 0; layer < Layers; layer++)
        {
            string p = $"encoder.layer.{layer}.";
            foreach (string linear in new[] { "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense" })
            {
                keys.Add(($"{p}{linear}.weight", [Hidden, Hidden]));
                keys.Add(($"{p}{linear}.bias", [Hidden]));
            }

            keys.Add(($"{p}attention.output.LayerNorm.weight", [Hidden]));
            keys.Add(($"{p}attention.output.LayerNorm.bias", [Hidden]));
            keys.Add(($"{p}intermediate.dense.weight", [Intermediate, Hidden]));
            keys.Add(($"{p}intermediate.dense.bias", [Intermediate]));
            keys.Add(($"{p}output.dense.weight", [Hidden, Intermediate]));
            keys.Add(($"{p}output.dense.bias", [Hidden]));
            keys.Add(($"{p}output.LayerNorm.weight", [Hidden]));
            keys.Add(($"{p}output.LayerNorm.bias", [Hidden]));
        }

        if (withPooler)
        {
            keys.Add(("pooler.dense.weight", [Hidden, Hidden]));
            keys.Add(("pooler.dense.bias", [Hidden]));
        }

        return keys;
    }

    /// <summary>Checks that <paramref name="tensors"/> are exactly the BertModel weights of this config (the pooler
    /// both or neither), each fp32 with its expected shape.</summary>
    /// <exception cref="ModelFormatException">A key is missing or unexpected, or a dtype or shape differs; the message lists them.</exception>
    public void Check(IReadOnlyList<TensorData> tensors, string sourceName)
    {
        var byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        bool withPooler = byName.ContainsKey("pooler.dense.weight") || byName.ContainsKey("pooler.dense.bias");
        var expected = Expected(withPooler);
        var problems = new List<string>();
        foreach ((string key, long[] shape) in expected)
        {
            if (!byName.TryGetValue(key, out var tensor))
            {
                problems.Add($"missing '{key}' [{string.Join(", ", shape)}]");
            }
            else if (tensor.DType != TensorDType.F32 || !tensor.Shape.SequenceEqual(shape))
            {
                problems.Add($"'{key}' is {tensor.DType} [{string.Join(", ", tensor.Shape)}], expected F32 [{string.Join(", ", shape)}]");
            }
        }

        var expectedKeys = expected.Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
        problems.AddRange(tensors.Where(t => !expectedKeys.Contains(t.Name)).Select(t => $"unexpected '{t.Name}'"));
        if (problems.Count > 0)
        {
            throw new ModelFormatException(sourceName,
                $"the weights do not match config.json (hidden {Hidden}, {Layers} layers, intermediate {Intermediate}, vocabulary {VocabSize}): " +
                string.Join("; ", problems.Take(10)) + (problems.Count > 10 ? $"; and {problems.Count - 10} more" : "") +
                ". Check that the descriptor's config.json belongs to this carrier package's model.");
        }
    }
}
