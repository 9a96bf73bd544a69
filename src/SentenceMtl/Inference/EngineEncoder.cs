using SentenceMtl.Checkpoints;
using SentenceMtl.Tokenization;

namespace SentenceMtl.Inference;

/// <summary>
/// A sentence encoder that never loads libtorch: the model's tokenizer, an <see cref="InferenceEngine"/> built from its
/// <c>model.safetensors</c>, and its pooling and normalization. It reads a model exactly as
/// <see cref="SentenceEncoder.FromPretrained"/> does (<see cref="ModelResolver"/>, the same checks and defaults) and,
/// given the same engine width, gives the same vectors bit for bit as a frozen <see cref="SentenceEncoder"/>.
/// </summary>
/// <remarks>Calls may come from several threads at once (the engine serves them). <see cref="Dispose"/> stops the
/// engine's threads and belongs after the last call; calls made afterwards throw <see cref="ObjectDisposedException"/>.</remarks>
internal sealed class EngineEncoder : IDisposable
{
    /// <summary>Sequences per engine batch: <see cref="SentenceEncoderOptions.BatchSize"/>'s default, so the batches (and
    /// hence the vectors) are those of a <see cref="SentenceEncoder"/> with default options.</summary>
    public const int BatchSize = 32;

    private readonly InferenceEngine engine;
    private readonly BertWordPieceTokenizer tokenizer;
    private readonly bool lowerCaseInput;
    private int disposed;                                                                   // 1 once Dispose ran

    private EngineEncoder(string modelId, InferenceEngine engine, BertWordPieceTokenizer tokenizer, bool lowerCaseInput,
        PoolingStrategy pooling, bool normalize, int maxSequenceLength)
    {
        ModelId = modelId;
        this.engine = engine;
        this.tokenizer = tokenizer;
        this.lowerCaseInput = lowerCaseInput;
        Pooling = pooling;
        Normalize = normalize;
        MaxSequenceLength = maxSequenceLength;
    }

    /// <summary>The model's name or path, as given to <see cref="Load"/>.</summary>
    public string ModelId { get; }

    /// <summary>The length of every vector: the model's hidden size.</summary>
    public int Dimension => engine.Config.HiddenSize;

    /// <summary>The model's pooling (its <c>1_Pooling/config.json</c>; mean when it has none).</summary>
    public PoolingStrategy Pooling { get; }

    /// <summary>Whether vectors are L2-normalized (the model's <c>modules.json</c> ends with Normalize).</summary>
    public bool Normalize { get; }

    /// <summary>Tokens per text, <c>[CLS]</c> and <c>[SEP]</c> included; longer texts are truncated.</summary>
    public int MaxSequenceLength { get; }

    /// <summary>The engine's vector width and threads, for callers comparing with another engine.</summary>
    public InferenceEngine Engine => engine;

    /// <summary>
    /// Loads a model as <see cref="SentenceEncoder.FromPretrained"/> resolves it (a folder, a cached hub snapshot, an
    /// embedded model, a download) with the model's own tokenizer settings, sequence length, pooling and normalization.
    /// </summary>
    /// <param name="folderOrEmbeddedName">A folder path, a hub id or an embedded model name.</param>
    /// <param name="options">The engine's threads and vector width; null for every core and the widest width.</param>
    /// <exception cref="ModelFormatException">The model cannot be found, its files are damaged or disagree with each other,
    /// its weights are not <c>model.safetensors</c>, or its configuration is one the engine does not implement.</exception>
    /// <exception cref="PlatformNotSupportedException">No vector width (or not the one asked for) is accelerated here.</exception>
    public static EngineEncoder Load(string folderOrEmbeddedName, InferenceEngineOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folderOrEmbeddedName);
        return AtomicDirectory.ReadConsistent(folderOrEmbeddedName, _ => Build(folderOrEmbeddedName, options)); // a folder being saved: before or after
    }

    private static EngineEncoder Build(string folderOrEmbeddedName, InferenceEngineOptions? options)
    {
        var source = ModelResolver.Resolve(folderOrEmbeddedName);
        if (InferenceEngine.Unsupported(source.Config) is { } reason)
        {
            throw new ModelFormatException(source.ConfigName,
                $"the inference engine does not support {reason}; load the model with SentenceEncoder.FromPretrained, which runs it on libtorch.");
        }

        int maxLength = source.ResolveMaxLength(null);
        var tokenizer = source.CreateTokenizer(null);
        InferenceEngine engine;
        using (var weights = EngineWeightFile.Open(source))
        {
            engine = InferenceEngine.Create(source.Config, weights.Read, options);
        }
        return new EngineEncoder(source.Id, engine, tokenizer, source.LowerCaseInput, source.Pooling, source.Normalize, maxLength);
    }

    /// <summary>Embeds texts in length-sorted batches; results are in input order.</summary>
    /// <param name="texts">The texts; none may be null. An empty list gives an empty result.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <returns>One new array of <see cref="Dimension"/> floats per text.</returns>
    /// <exception cref="ObjectDisposedException">The encoder was disposed.</exception>
    public float[][] Encode(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        ArgumentNullException.ThrowIfNull(texts);
        var ids = new int[texts.Count][];
        for (int i = 0; i < ids.Length; i++)
        {
            string text = texts[i] ?? throw new ArgumentNullException(nameof(texts), $"Sentence {i} is null.");
            ids[i] = Tokenize(text);
        }

        return ids.Length == 0 ? [] : engine.Embed(ids, BatchSize, Pooling, Normalize, cancellationToken);
    }

    /// <summary>The token ids the engine sees for <paramref name="text"/>, as <see cref="SentenceEncoder.Tokenize"/>.</summary>
    public int[] Tokenize(string text)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        ArgumentNullException.ThrowIfNull(text);
        return tokenizer.Encode(lowerCaseInput ? PythonCasing.ToLower(text) : text, MaxSequenceLength);
    }

    /// <summary>Stops the engine's threads (idempotent, also when called from several threads).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            engine.Dispose();
        }
    }
}
