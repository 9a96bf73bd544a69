using System.Text.Json;
using System.Text.Json.Nodes;
using SentenceMtl.Serialization;

namespace SentenceMtl.Checkpoints;

/// <summary>
/// Writes a <see cref="SentenceEncoder"/> as a Hugging Face / sentence-transformers model folder that
/// <see cref="HuggingFaceFolder"/> (and Python's SentenceTransformer) reads back: config.json, vocab.txt,
/// tokenizer_config.json, model.safetensors, modules.json, sentence_bert_config.json, config_sentence_transformers.json
/// (prompts and similarity function) and 1_Pooling/config.json.
/// </summary>
internal static class EncoderFolderWriter
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Writes the encoder's files, with <paramref name="weights"/> as its backbone, into the existing folder <paramref name="folder"/>.</summary>
    public static void Write(SentenceEncoder encoder, IReadOnlyList<TensorData> weights, string folder)
    {
        var tokenizer = encoder.Tokenizer;
        AtomicDirectory.WriteFile(Path.Combine(folder, "config.json"), encoder.Config.ToJson());
        AtomicDirectory.WriteFile(Path.Combine(folder, "vocab.txt"),
            string.Join('\n', tokenizer.ConvertIdsToTokens(Enumerable.Range(0, tokenizer.VocabularySize).ToArray())) + "\n");
        AtomicDirectory.WriteFile(Path.Combine(folder, "tokenizer_config.json"), Json(new JsonObject
        {
            ["tokenizer_class"] = "BertTokenizer",
            ["do_lower_case"] = tokenizer.Options.LowerCase,
            ["strip_accents"] = tokenizer.Options.StripAccents,
            ["tokenize_chinese_chars"] = tokenizer.Options.TokenizeChineseChars,
            ["model_max_length"] = encoder.MaxSequenceLength,
        }));
        SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"),
            weights,
            new Dictionary<string, string> { ["format"] = "pt" });

        var modules = new JsonArray
        {
            (JsonNode)Module(0, "", "Transformer"),
            (JsonNode)Module(1, "1_Pooling", "Pooling"),
        };
        if (encoder.Normalize)
        {
            modules.Add((JsonNode)Module(2, "2_Normalize", "Normalize"));
            Directory.CreateDirectory(Path.Combine(folder, "2_Normalize"));
        }

        AtomicDirectory.WriteFile(Path.Combine(folder, "modules.json"), Json(modules));
        AtomicDirectory.WriteFile(Path.Combine(folder, "sentence_bert_config.json"), Json(new JsonObject
        {
            ["max_seq_length"] = encoder.MaxSequenceLength,
            ["do_lower_case"] = encoder.Source.LowerCaseInput,
        }));
        AtomicDirectory.WriteFile(Path.Combine(folder, SentenceTransformersConfig.FileName), encoder.SentenceTransformersConfig.ToJson());
        Directory.CreateDirectory(Path.Combine(folder, "1_Pooling"));
        AtomicDirectory.WriteFile(Path.Combine(folder, "1_Pooling", "config.json"), Json(new JsonObject
        {
            ["word_embedding_dimension"] = encoder.Dimension,
            ["pooling_mode_cls_token"] = encoder.Pooling == PoolingStrategy.Cls,
            ["pooling_mode_mean_tokens"] = encoder.Pooling == PoolingStrategy.Mean,
            ["pooling_mode_max_tokens"] = encoder.Pooling == PoolingStrategy.Max,
            ["pooling_mode_mean_sqrt_len_tokens"] = encoder.Pooling == PoolingStrategy.MeanSqrtLen,
            ["pooling_mode_weightedmean_tokens"] = false,
            ["pooling_mode_lasttoken"] = false,
            ["include_prompt"] = encoder.PoolingIncludesPrompt,
        }));
    }

    private static JsonObject Module(int index, string path, string type) => new()
    {
        ["idx"] = index,
        ["name"] = index.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["path"] = path,
        ["type"] = "sentence_transformers.models." + type,
    };

    private static string Json(JsonNode node) => node.ToJsonString(Indented);
}
