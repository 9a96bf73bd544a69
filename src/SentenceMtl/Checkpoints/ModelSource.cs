using SentenceMtl.Modeling.Bert;
using SentenceMtl.Tokenization;

namespace SentenceMtl.Checkpoints;

/// <summary>
/// Everything needed to build a <see cref="SentenceEncoder"/>, resolved
/// from a folder, the Hugging Face cache or an installed model folder, with that model's own defaults (which
/// <see cref="SentenceEncoderOptions"/> may override). It holds no TorchSharp type, so reading a model's description
/// never loads a native library.
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

    /// <summary>The weight file: <c>model.safetensors</c> or <c>pytorch_model.bin</c>.</summary>
    public required string WeightsFile { get; init; }

    /// <summary>
    /// The weights as one safetensors file when they are one, else null (a <c>pytorch_model.bin</c>, which only the
    /// TorchSharp loader reads).
    /// </summary>
    public string? SafetensorsFile() => WeightsFile.EndsWith(".safetensors", StringComparison.Ordinal) ? WeightsFile : null;

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

    /// <summary>Whether pooling counts a prompt's tokens (sentence-transformers' <c>include_prompt</c>, default true).</summary>
    public bool PoolingIncludesPrompt { get; init; } = true;

    /// <summary>Prompts and similarity function (config_sentence_transformers.json).</summary>
    public SentenceTransformersConfig SentenceTransformers { get; init; } = SentenceTransformersConfig.Empty;

    /// <summary>The model's default maximum sequence length in tokens.</summary>
    public required int MaxSequenceLength { get; init; }

    /// <summary>The maximum sequence length to use: <paramref name="requested"/>, or the model's default.</summary>
    /// <param name="requested">The caller's override (<see cref="SentenceEncoderOptions.MaxSequenceLength"/>), or null.</param>
    /// <exception cref="ArgumentOutOfRangeException">The override exceeds the model's max_position_embeddings.</exception>
    public int ResolveMaxLength(int? requested)
    {
        int maxLength = requested ?? MaxSequenceLength;
        if (maxLength > Config.MaxPositionEmbeddings)
        {
            throw new ArgumentOutOfRangeException("options", maxLength,
                $"MaxSequenceLength exceeds the model's max_position_embeddings ({Config.MaxPositionEmbeddings}).");
        }

        return maxLength;
    }

    /// <summary>Reads the vocabulary into the model's tokenizer, checked against the config's vocab_size.</summary>
    /// <param name="lowerCase">The caller's override of the tokenizer's lower-casing (<see cref="SentenceEncoderOptions.DoLowerCase"/>), or null.</param>
    /// <exception cref="ModelFormatException">The vocabulary is damaged or has more tokens than vocab_size.</exception>
    public BertWordPieceTokenizer CreateTokenizer(bool? lowerCase)
    {
        var options = lowerCase is { } lower ? TokenizerOptions with { LowerCase = lower } : TokenizerOptions;
        BertWordPieceTokenizer tokenizer;
        using (var vocab = OpenVocabulary())
        {
            tokenizer = BertWordPieceTokenizer.Create(vocab, options, VocabularyName);
        }

        if (tokenizer.VocabularySize > Config.VocabSize)
        {
            throw new ModelFormatException(VocabularyName,
                $"the vocabulary has {tokenizer.VocabularySize} tokens but the model's vocab_size is {Config.VocabSize}.");
        }

        return tokenizer;
    }
}
