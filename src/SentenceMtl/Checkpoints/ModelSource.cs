using SentenceMtl.Modeling.Bert;
using SentenceMtl.Tokenization;
using static TorchSharp.torch;

namespace SentenceMtl.Checkpoints;

/// <summary>
/// Everything needed to build a <see cref="SentenceEncoder"/>, resolved from a folder, the Hugging Face cache or an
/// installed model folder, with that model's own defaults (which <see cref="SentenceEncoderOptions"/> may override).
/// </summary>
internal sealed record ModelSource
{
    /// <summary>The model's name or path, as the user gave it (or resolved to).</summary>
    public required string Id { get; init; }

    /// <summary>The validated backbone configuration.</summary>
    public required BertConfig Config { get; init; }

    /// <summary>Names the configuration (<c>config.json</c>) in errors.</summary>
    public string ConfigName { get; init; } = "config.json";

    /// <summary>Opens the WordPiece vocabulary.</summary>
    public required Func<Stream> OpenVocabulary { get; init; }

    /// <summary>Names the vocabulary in errors.</summary>
    public required string VocabularyName { get; init; }

    /// <summary>Reads the weights as CPU tensors keyed by checkpoint name (the caller disposes them).</summary>
    public required Func<Dictionary<string, Tensor>> LoadWeights { get; init; }

    /// <summary>
    /// The weights as one safetensors file when they are one, else null: the loader then streams the file into the model's
    /// parameters instead of calling <see cref="LoadWeights"/>.
    /// </summary>
    public Func<string?> SafetensorsFile { get; init; } = () => null;

    /// <summary>Names the weights in errors.</summary>
    public required string WeightsName { get; init; }

    /// <summary>The tokenizer's settings (tokenizer_config.json).</summary>
    public BertTokenizerOptions TokenizerOptions { get; init; } = new();

    /// <summary>sentence-transformers' do_lower_case: lower-case the text before tokenizing.</summary>
    public bool LowerCaseInput { get; init; }

    /// <summary>The model's default pooling.</summary>
    public PoolingStrategy Pooling { get; init; } = PoolingStrategy.Mean;

    /// <summary>Whether the model's pipeline ends with L2 normalization.</summary>
    public bool Normalize { get; init; }

    /// <summary>The model's default maximum sequence length in tokens.</summary>
    public required int MaxSequenceLength { get; init; }
}
