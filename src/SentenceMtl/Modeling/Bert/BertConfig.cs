using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using SentenceMtl.Serialization;

namespace SentenceMtl.Modeling.Bert;

/// <summary>
/// The hyper-parameters of a BERT backbone, read directly from a Hugging Face <c>config.json</c>.
/// Every default is Hugging Face's <c>BertConfig</c> default (bert-base-uncased).
/// </summary>
internal sealed record BertConfig
{
    /// <summary>Size of the WordPiece vocabulary.</summary>
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 30522;

    /// <summary>Width of every hidden state (H).</summary>
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 768;

    /// <summary>Number of transformer layers.</summary>
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 12;

    /// <summary>Number of attention heads; must divide <see cref="HiddenSize"/>.</summary>
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 12;

    /// <summary>Width of the feed-forward layer.</summary>
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 3072;

    /// <summary>Feed-forward activation: <c>gelu</c> (exact, erf), <c>gelu_new</c>/<c>gelu_pytorch_tanh</c> (tanh approximation), <c>relu</c>, <c>silu</c>.</summary>
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "gelu";

    /// <summary>Dropout on embeddings and sub-layer outputs (training only).</summary>
    [JsonPropertyName("hidden_dropout_prob")] public double HiddenDropoutProb { get; init; } = 0.1;

    /// <summary>Dropout on attention probabilities (training only).</summary>
    [JsonPropertyName("attention_probs_dropout_prob")] public double AttentionProbsDropoutProb { get; init; } = 0.1;

    /// <summary>Number of learned absolute positions: the longest input the model accepts.</summary>
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 512;

    /// <summary>Number of token types (segments).</summary>
    [JsonPropertyName("type_vocab_size")] public int TypeVocabSize { get; init; } = 2;

    /// <summary>Standard deviation of the normal initialisation of fresh weights.</summary>
    [JsonPropertyName("initializer_range")] public double InitializerRange { get; init; } = 0.02;

    /// <summary>Epsilon of every LayerNorm.</summary>
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-12;

    /// <summary>Id of the padding token.</summary>
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; init; }

    /// <summary>Only <c>absolute</c> is supported.</summary>
    [JsonPropertyName("position_embedding_type")] public string PositionEmbeddingType { get; init; } = "absolute";

    /// <summary>Head size: <see cref="HiddenSize"/> / <see cref="NumAttentionHeads"/>.</summary>
    [JsonIgnore] public int HeadSize => HiddenSize / NumAttentionHeads;

    private static readonly JsonSerializerOptions WriteOptions = new() { WriteIndented = true };

    /// <summary>Reads and validates a Hugging Face <c>config.json</c>.</summary>
    /// <param name="path">Path of the file.</param>
    /// <exception cref="ModelFormatException">The file is missing, not JSON, or describes an invalid model.</exception>
    public static BertConfig FromFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new ModelFormatException(path, "file not found.");
        }

        return FromJson(Checkpoints.BoundedFile.ReadAllText(path, Checkpoints.BoundedFile.MaxJsonBytes), path);
    }

    /// <summary>Parses and validates the text of a <c>config.json</c>; <paramref name="source"/> names it in errors.</summary>
    public static BertConfig FromJson(string json, string source = "config.json")
    {
        ArgumentNullException.ThrowIfNull(json);
        BertConfig? config;
        try
        {
            // Keys the file leaves out take the record's defaults (Hugging Face's): source-generated code would set
            // absent init-only properties to zero, so the defaults are written in before the file is read.
            // A key given twice is refused as invalid JSON: which of the two values a reader takes is not defined.
            var parsed = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 64, AllowDuplicateProperties = false })
                ?? throw new ModelFormatException(source, "expected a JSON object.");
            var node = parsed as JsonObject
                ?? throw new ModelFormatException(source, $"invalid JSON (the top level is {parsed.GetValueKind()}, not an object).");
            foreach (var (key, value) in JsonSerializer.SerializeToNode(new BertConfig(), CoreJson.Default.BertConfig)!.AsObject())
            {
                if (!node.ContainsKey(key))
                {
                    node[key] = value?.DeepClone();
                }
            }

            config = node.Deserialize(CoreJson.Default.BertConfig);
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException(source, $"invalid JSON ({ex.Message}).", ex);
        }

        if (config is null)
        {
            throw new ModelFormatException(source, "expected a JSON object.");
        }

        config.Validate(source);
        return config;
    }

    /// <summary>The activations <c>hidden_act</c> may name (Hugging Face's ACT2FN subset); the inference engine runs
    /// <c>gelu</c>, training runs them all.</summary>
    public static IReadOnlyList<string> Activations { get; } = ["gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu", "swish"];

    /// <summary>Writes the configuration in Hugging Face's format (with <c>model_type</c> and <c>architectures</c>).</summary>
    public string ToJson()
    {
        var node = JsonSerializer.SerializeToNode(this, CoreJson.Default.BertConfig)!.AsObject();
        node["model_type"] = "bert";
        node["architectures"] = new System.Text.Json.Nodes.JsonArray("BertModel");
        return node.ToJsonString(WriteOptions);
    }

    /// <summary>Largest accepted <see cref="HiddenSize"/> (BERT-large: 1024; the largest published encoders: 8192).</summary>
    public const int MaxHiddenSize = 16_384;

    /// <summary>Largest accepted <see cref="NumHiddenLayers"/> (BERT-large: 24).</summary>
    public const int MaxLayers = 256;

    /// <summary>Largest accepted <see cref="IntermediateSize"/> (usually 4 × hidden).</summary>
    public const int MaxIntermediateSize = 65_536;

    /// <summary>Largest accepted <see cref="VocabSize"/> (multilingual models: 250,002).</summary>
    public const int MaxVocabSize = 1_000_000;

    /// <summary>Largest accepted <see cref="MaxPositionEmbeddings"/> (long-context encoders: 8,192).</summary>
    public const int MaxPositions = 65_536;

    /// <summary>Largest accepted <see cref="TypeVocabSize"/> (BERT: 2).</summary>
    public const int MaxTypeVocabSize = 1_024;

    /// <summary>
    /// Throws <see cref="ModelFormatException"/> naming <paramref name="source"/> when a value is out of range. Every
    /// dimension has an upper bound (the <c>Max…</c> constants, each far above published BERT models), so a hostile
    /// config cannot ask for an absurd allocation; the weight file is compared with the config before any module is built.
    /// </summary>
    public void Validate(string source = "config.json")
    {
        void Require(bool condition, string message)
        {
            if (!condition)
            {
                throw new ModelFormatException(source, message);
            }
        }

        void InRange(int value, int max, string name) =>
            Require(value > 0 && value <= max, $"{name} must be between 1 and {max} (got {value}).");

        InRange(VocabSize, MaxVocabSize, "vocab_size");
        InRange(HiddenSize, MaxHiddenSize, "hidden_size");
        InRange(NumHiddenLayers, MaxLayers, "num_hidden_layers");
        InRange(NumAttentionHeads, HiddenSize, "num_attention_heads");
        Require(HiddenSize % NumAttentionHeads == 0,
            $"hidden_size ({HiddenSize}) must be divisible by num_attention_heads ({NumAttentionHeads}).");
        InRange(IntermediateSize, MaxIntermediateSize, "intermediate_size");
        InRange(MaxPositionEmbeddings, MaxPositions, "max_position_embeddings");
        InRange(TypeVocabSize, MaxTypeVocabSize, "type_vocab_size");
        Require(LayerNormEps > 0, $"layer_norm_eps must be positive (got {LayerNormEps}).");
        Require(HiddenDropoutProb is >= 0 and < 1, $"hidden_dropout_prob must be in [0, 1) (got {HiddenDropoutProb}).");
        Require(AttentionProbsDropoutProb is >= 0 and < 1,
            $"attention_probs_dropout_prob must be in [0, 1) (got {AttentionProbsDropoutProb}).");
        Require(PadTokenId >= 0 && PadTokenId < VocabSize, $"pad_token_id ({PadTokenId}) must be a token id below vocab_size ({VocabSize}).");
        Require(PositionEmbeddingType == "absolute",
            $"position_embedding_type '{ErrorText.Shorten(PositionEmbeddingType ?? "null")}' is not supported (only 'absolute').");
        Require(HiddenAct is not null && Activations.Contains(HiddenAct),
            $"hidden_act '{ErrorText.Shorten(HiddenAct ?? "null")}' is not supported (use one of {string.Join(", ", Activations)}).");
    }
}
