using System.Text;
using System.Text.Json;
using SentenceMtl.Serialization;

namespace SentenceMtl.ModelConverter;

/// <summary>
/// Writes a standard sentence-transformers model folder: the Hugging Face backbone files at its root (config.json,
/// vocab.txt, model.safetensors, tokenizer_config.json, special_tokens_map.json), modules.json (Transformer → Pooling
/// → Normalize), 1_Pooling/config.json, sentence_bert_config.json, config_sentence_transformers.json, and
/// sentencemtl_model.json (the name and hub-id alias SentenceMtl finds it by). The folder appears complete or not at
/// all: everything goes to a sibling folder first, which then takes the output's place.
/// </summary>
internal static class SentenceTransformersFolder
{
    /// <summary>The special tokens every BERT WordPiece vocabulary must hold.</summary>
    public static readonly IReadOnlyList<string> SpecialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Writes the folder for <paramref name="descriptor"/> to <paramref name="output"/>, replacing an earlier
    /// output of this tool there (a folder holding <see cref="ModelDescriptor.FileName"/>).</summary>
    /// <exception cref="IOException"><paramref name="output"/> exists and was not written by this tool.</exception>
    public static void Write(string output, ModelDescriptor descriptor, string configPath, BertShapes shapes,
        byte[] vocabulary, IReadOnlyList<TensorData> tensors)
    {
        output = Path.GetFullPath(output);
        if (Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any()
            && !File.Exists(Path.Combine(output, ModelDescriptor.FileName)))
        {
            throw new IOException($"{output}: the folder exists and was not written by SentenceMtl.ModelConverter; choose an empty or new output folder.");
        }

        string staging = output + ".partial";
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true);                    // a previous run's leftover, named by us
        }

        Directory.CreateDirectory(Path.Combine(staging, "1_Pooling"));
        File.Copy(configPath, Path.Combine(staging, "config.json"));
        File.WriteAllBytes(Path.Combine(staging, "vocab.txt"), vocabulary);
        SafetensorsWriter.Write(Path.Combine(staging, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        WriteConfigs(staging, descriptor, shapes);

        if (Directory.Exists(output))
        {
            Directory.Delete(output, recursive: true);
        }

        Directory.Move(staging, output);
    }

    private static void WriteConfigs(string folder, ModelDescriptor d, BertShapes shapes)
    {
        Json(folder, "modules.json", new object[]
        {
            new { idx = 0, name = "0", path = "", type = "sentence_transformers.models.Transformer" },
            new { idx = 1, name = "1", path = "1_Pooling", type = "sentence_transformers.models.Pooling" },
        }.Concat(d.Normalize ? [new { idx = 2, name = "2", path = "2_Normalize", type = "sentence_transformers.models.Normalize" }] : []));
        Json(folder, "1_Pooling/config.json", new Dictionary<string, object>
        {
            ["word_embedding_dimension"] = shapes.Hidden,
            ["pooling_mode_cls_token"] = d.Pooling == "Cls",
            ["pooling_mode_mean_tokens"] = d.Pooling == "Mean",
            ["pooling_mode_max_tokens"] = false,
            ["pooling_mode_mean_sqrt_len_tokens"] = false,
            ["pooling_mode_weightedmean_tokens"] = false,
            ["pooling_mode_lasttoken"] = false,
            ["include_prompt"] = true,
        });
        // The text itself is not lower-cased by sentence-transformers; the tokenizer does it (tokenizer_config.json).
        Json(folder, "sentence_bert_config.json", new { max_seq_length = d.MaxSequenceLength, do_lower_case = false });
        Json(folder, "config_sentence_transformers.json", new { prompts = d.Prompts, default_prompt_name = (string?)null, similarity_fn_name = "cosine" });
        var special = new { unk_token = "[UNK]", sep_token = "[SEP]", pad_token = "[PAD]", cls_token = "[CLS]", mask_token = "[MASK]" };
        Json(folder, "special_tokens_map.json", special);
        Json(folder, "tokenizer_config.json", new
        {
            tokenizer_class = "BertTokenizer",
            do_lower_case = d.DoLowerCase,
            do_basic_tokenize = true,
            strip_accents = (bool?)null,
            tokenize_chinese_chars = true,
            model_max_length = shapes.Positions,
            special.unk_token, special.sep_token, special.pad_token, special.cls_token, special.mask_token,
        });
        Json(folder, ModelDescriptor.FileName, new
        {
            name = d.Name,
            aliases = d.HubId is null ? [] : new[] { d.HubId },
            converted_from = $"{d.Assembly}: {d.OnnxResource}, {d.VocabularyResource}",
        });
    }

    /// <summary>Checks that <paramref name="vocabulary"/> is UTF-8 with one token per line, as many as config.json's
    /// vocab_size, holding BERT's special tokens.</summary>
    /// <exception cref="ModelFormatException">It is not.</exception>
    public static void CheckVocabulary(byte[] vocabulary, BertShapes shapes, string sourceName)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(vocabulary);
        }
        catch (DecoderFallbackException ex)
        {
            throw new ModelFormatException(sourceName, "the vocabulary is not valid UTF-8.", ex);
        }

        var tokens = text.Split('\n').Select(t => t.TrimEnd('\r')).ToList();
        if (tokens.Count > 0 && tokens[^1].Length == 0)
        {
            tokens.RemoveAt(tokens.Count - 1);
        }

        if (tokens.Count != shapes.VocabSize)
        {
            throw new ModelFormatException(sourceName, $"the vocabulary has {tokens.Count} tokens but config.json's vocab_size is {shapes.VocabSize}.");
        }

        var missing = SpecialTokens.Except(tokens).ToList();
        if (missing.Count > 0)
        {
            throw new ModelFormatException(sourceName, $"the vocabulary lacks {string.Join(", ", missing)}.");
        }
    }

    private static void Json(string folder, string name, object value) =>
        File.WriteAllText(Path.Combine(folder, name), JsonSerializer.Serialize(value, Indented) + "\n");
}
