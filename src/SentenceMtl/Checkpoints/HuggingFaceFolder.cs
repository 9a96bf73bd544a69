using System.Text.Json;
using SentenceMtl.Modeling.Bert;
using SentenceMtl.Tokenization;

namespace SentenceMtl.Checkpoints;

/// <summary>
/// Reads a Hugging Face model folder (<c>config.json</c>, <c>vocab.txt</c>, <c>model.safetensors</c> or
/// <c>pytorch_model.bin</c>) and the sentence-transformers files beside it (<c>modules.json</c>,
/// <c>sentence_bert_config.json</c>, <c>1_Pooling/config.json</c>, <c>config_sentence_transformers.json</c>) so it
/// embeds exactly as in Python.
/// </summary>
internal static class HuggingFaceFolder
{
    /// <summary>Weight files tried in order.</summary>
    public static readonly IReadOnlyList<string> WeightFiles = ["model.safetensors", "pytorch_model.bin"];

    /// <summary>The shortest usable sequence: <c>[CLS]</c> and <c>[SEP]</c>.</summary>
    private const int MinSequenceLength = 2;

    /// <summary>Describes the model in <paramref name="folder"/>.</summary>
    /// <exception cref="ModelFormatException">A required file is missing or damaged.</exception>
    public static ModelSource Read(string folder, string id)
    {
        var modules = ReadModules(folder);
        string transformerDir = modules.TransformerPath;
        string configPath = Path.Combine(transformerDir, "config.json");
        var config = BertConfig.FromFile(configPath);
        RequireBert(configPath);

        string vocabPath = Path.Combine(transformerDir, "vocab.txt");
        if (!File.Exists(vocabPath))
        {
            throw new ModelFormatException(vocabPath, "file not found (a BERT WordPiece vocabulary is required).");
        }

        string weightsPath = WeightFiles.Select(f => Path.Combine(transformerDir, f)).FirstOrDefault(File.Exists)
            ?? throw new ModelFormatException(transformerDir,
                $"no weights found (looked for {string.Join(", ", WeightFiles)}).");

        string tokenizerPath = Path.Combine(transformerDir, "tokenizer_config.json");
        var tokenizer = ReadJson(tokenizerPath);
        string sbertPath = new[] { transformerDir, folder }.Select(d => Path.Combine(d, "sentence_bert_config.json"))
            .FirstOrDefault(File.Exists) ?? Path.Combine(folder, "sentence_bert_config.json");
        var sbert = ReadJson(sbertPath);
        int? modelMaxLength = Int(tokenizer, "model_max_length", tokenizerPath) is { } m and >= MinSequenceLength and < 1_000_000 ? m : null;
        int? sbertMaxLength = Int(sbert, "max_seq_length", sbertPath);
        if (sbertMaxLength < MinSequenceLength)
        {
            throw new ModelFormatException(sbertPath,
                $"'max_seq_length' must be at least {MinSequenceLength}, room for [CLS] and [SEP] (got {sbertMaxLength}).");
        }

        if (config.MaxPositionEmbeddings < MinSequenceLength)
        {
            throw new ModelFormatException(configPath,
                $"'max_position_embeddings' must be at least {MinSequenceLength}, room for [CLS] and [SEP] (got {config.MaxPositionEmbeddings}).");
        }

        int maxLength = sbertMaxLength ?? modelMaxLength ?? config.MaxPositionEmbeddings;
        var (pooling, includePrompt) = modules.PoolingPath is null
            ? (PoolingStrategy.Mean, true)
            : ReadPooling(Path.Combine(modules.PoolingPath, "config.json"));

        return new ModelSource
        {
            Id = id,
            Config = config,
            ConfigName = configPath,
            OpenVocabulary = () => BoundedFile.OpenRead(vocabPath, BoundedFile.MaxVocabularyBytes),
            VocabularyName = vocabPath,
            WeightsFile = weightsPath,
            WeightsName = weightsPath,
            TokenizerOptions = new BertTokenizerOptions
            {
                LowerCase = Bool(tokenizer, "do_lower_case", tokenizerPath) ?? true,
                StripAccents = Bool(tokenizer, "strip_accents", tokenizerPath),
                TokenizeChineseChars = Bool(tokenizer, "tokenize_chinese_chars", tokenizerPath) ?? true,
            },
            LowerCaseInput = Bool(sbert, "do_lower_case", sbertPath) ?? false,
            Pooling = pooling,
            PoolingIncludesPrompt = includePrompt,
            Normalize = modules.Normalize,
            SentenceTransformers = SentenceTransformersConfig.Read(folder),
            MaxSequenceLength = Math.Min(maxLength, config.MaxPositionEmbeddings),
        };
    }

    /// <summary>The modules' folders, as full paths inside the model folder.</summary>
    private sealed record Modules(string TransformerPath, string? PoolingPath, bool Normalize);

    private static Modules ReadModules(string folder)
    {
        string path = Path.Combine(folder, "modules.json");
        if (!File.Exists(path))
        {
            string? pooling = Directory.Exists(Path.Combine(folder, "1_Pooling")) ? Path.Combine(folder, "1_Pooling") : null;
            return new Modules(folder, pooling, false);
        }

        string transformer = folder;
        string? poolingPath = null;
        bool normalize = false;
        try
        {
            using var doc = JsonDocument.Parse(BoundedFile.ReadAllText(path, BoundedFile.MaxJsonBytes));
            foreach (var module in doc.RootElement.EnumerateArray())
            {
                string type = module.GetProperty("type").GetString() ?? "";
                string modulePath = ModulePath.Resolve(folder, module.TryGetProperty("path", out var p) ? p.GetString() ?? "" : "", path);
                switch (type.Split('.')[^1])
                {
                    case "Transformer": transformer = modulePath; break;
                    case "Pooling": poolingPath = modulePath; break;
                    case "Normalize": normalize = true; break;
                    default:
                        throw new ModelFormatException(path, $"module type '{ErrorText.Shorten(type)}' is not supported (Transformer, Pooling, Normalize are).");
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            throw new ModelFormatException(path, $"not a valid sentence-transformers modules list ({ex.Message}).", ex);
        }

        return new Modules(transformer, poolingPath, normalize);
    }

    private static (PoolingStrategy Pooling, bool IncludePrompt) ReadPooling(string path)
    {
        var json = ReadJson(path) ?? throw new ModelFormatException(path, "file not found (named by modules.json).");
        var modes = new List<PoolingStrategy>();
        if (Bool(json, "pooling_mode_cls_token", path) == true) modes.Add(PoolingStrategy.Cls);
        if (Bool(json, "pooling_mode_mean_tokens", path) == true) modes.Add(PoolingStrategy.Mean);
        if (Bool(json, "pooling_mode_max_tokens", path) == true) modes.Add(PoolingStrategy.Max);
        if (Bool(json, "pooling_mode_mean_sqrt_len_tokens", path) == true) modes.Add(PoolingStrategy.MeanSqrtLen);
        foreach (var unsupported in new[] { "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken" })
        {
            if (Bool(json, unsupported, path) == true)
            {
                throw new ModelFormatException(path, $"{unsupported} is not supported.");
            }
        }

        return modes.Count == 1
            ? (modes[0], Bool(json, "include_prompt", path) ?? true)
            : throw new ModelFormatException(path, $"exactly one pooling mode must be enabled (found {modes.Count}).");
    }

    private static void RequireBert(string configPath)
    {
        var json = ReadJson(configPath);
        if (json?.TryGetProperty("model_type", out var type) == true && type.GetString() is { } name && name != "bert")
        {
            throw new ModelFormatException(configPath, $"model_type '{ErrorText.Shorten(name)}' is not supported (only 'bert').");
        }
    }

    private static JsonElement? ReadJson(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(BoundedFile.ReadAllText(path, BoundedFile.MaxJsonBytes));
            return doc.RootElement.ValueKind == JsonValueKind.Object
                ? doc.RootElement.Clone()
                : throw new ModelFormatException(path, "expected a JSON object.");
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException(path, $"invalid JSON ({ex.Message}).", ex);
        }
    }

    private static bool? Bool(JsonElement? json, string name, string path) =>
        json?.TryGetProperty(name, out var v) == true
            ? v.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Null => null,
                _ => throw new ModelFormatException(path, $"'{name}' must be true, false or null."),
            }
            : null;

    // A whole number, clamped to int's range (tokenizer_config.json's model_max_length is often 1e30); null when absent or null.
    private static int? Int(JsonElement? json, string name, string path) =>
        json?.TryGetProperty(name, out var v) == true && v.ValueKind != JsonValueKind.Null
            ? v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) && d == Math.Floor(d)
                ? (int)Math.Clamp(d, int.MinValue, int.MaxValue)
                : throw new ModelFormatException(path, $"'{name}' must be a whole number, found {Describe(v)}.")
            : null;

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{ErrorText.Shorten(value.GetString() ?? "")}\" (write it without quotes)",
        JsonValueKind.Number => $"{ErrorText.Shorten(value.GetRawText())}",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        _ => "an object",
    };
}
