using SentenceMtl.Checkpoints;
using SentenceMtl.Inference;
using SentenceMtl.Modeling.Bert;
using SentenceMtl.Native;
using SentenceMtl.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace SentenceMtl;

/// <summary>
/// Turns sentences into fixed-length embeddings: a BERT backbone (Hugging Face weight names), then pooling and
/// optional L2 normalization — the sentence-transformers pipeline, in TorchSharp.
/// </summary>
/// <remarks>
/// <see cref="Encode(IReadOnlyList{string}, CancellationToken)"/> is safe to call from several threads at once. A frozen
/// float32 encoder on the CPU (as loaded) embeds through its <see cref="Inference.InferenceEngine"/>: SentenceMtl's own
/// kernels at the widest vector width the machine accelerates, on a copy of the weights, over
/// <see cref="SentenceEncoderOptions.Threads"/> threads. Otherwise (weights being trained, float64, a GPU, or no
/// accelerated width) libtorch computes the same values. Dispose the encoder to free its native memory.
/// </remarks>
public sealed partial class SentenceEncoder : IDisposable
{
    private readonly BertConfig config;
    private readonly Func<BertModel>? loadBackbone;
    private readonly Lock backboneGate = new();
    private BertModel? model;
    private Device? device;                                                                     // null: the CPU, not yet asked of libtorch
    private readonly BertWordPieceTokenizer tokenizer;
    private readonly bool lowerCaseInput;

    private SentenceEncoder(ModelSource source, BertModel? model, Func<BertModel>? loadBackbone,
        InferenceEngine? engine, BertWordPieceTokenizer tokenizer, PoolingStrategy pooling, bool normalize,
        int maxSequenceLength, int batchSize, Device? device, int? engineThreads, EncoderQuantization quantization)
    {
        ModelId = source.Id;
        config = source.Config;
        lowerCaseInput = source.LowerCaseInput;
        sentenceTransformers = source.SentenceTransformers;
        poolingIncludesPrompt = source.PoolingIncludesPrompt;
        this.model = model;
        this.loadBackbone = loadBackbone;
        this.engine = engine;
        this.tokenizer = tokenizer;
        Pooling = pooling;
        Normalize = normalize;
        MaxSequenceLength = maxSequenceLength;
        BatchSize = batchSize;
        this.device = device;
        this.engineThreads = engineThreads;
        this.quantization = quantization;
        if (model is not null)
        {
            RefreshEngine();
        }

        try
        {
            RequireEngineForQuantization();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The name or path the model was loaded from.</summary>
    public string ModelId { get { ThrowIfDisposed(); return field; } }

    /// <summary>Length of every embedding (the backbone's hidden size).</summary>
    public int Dimension
    {
        get
        {
            ThrowIfDisposed();
            return config.HiddenSize;
        }
    }

    /// <summary>The pooling in use.</summary>
    public PoolingStrategy Pooling { get { ThrowIfDisposed(); return field; } }

    /// <summary>Whether embeddings are L2-normalized.</summary>
    public bool Normalize { get { ThrowIfDisposed(); return field; } }

    /// <summary>Longest input in tokens (with <c>[CLS]</c> and <c>[SEP]</c>); longer texts are truncated.</summary>
    public int MaxSequenceLength { get { ThrowIfDisposed(); return field; } }

    /// <summary>Most sentences per forward pass; batches of long texts hold fewer (at most 4,096 padded tokens per pass).</summary>
    public int BatchSize { get { ThrowIfDisposed(); return field; } }

    /// <summary>The torch device the model runs on.</summary>
    /// <remarks>An encoder loaded for the CPU with its inference engine has not loaded libtorch; reading this loads it.</remarks>
    public Device Device
    {
        get
        {
            ThrowIfDisposed();
            return device ??= TorchDevice.Cpu();
        }
    }

    /// <summary>Shared by calls that use the native memory, exclusive for those that free or repack it (see <see cref="EncoderLifetime"/>).</summary>
    internal EncoderLifetime Lifetime { get; } = new(typeof(SentenceEncoder).FullName!);

    internal BertWordPieceTokenizer Tokenizer => tokenizer;

    internal bool LowerCaseInput => lowerCaseInput;

    /// <summary>Embeds one sentence.</summary>
    /// <param name="sentence">The text (any length; truncated to <see cref="MaxSequenceLength"/> tokens).</param>
    /// <returns>A new array of <see cref="Dimension"/> floats.</returns>
    public float[] Encode(string sentence)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(sentence);
        return Encode([sentence])[0];
    }

    /// <summary>Embeds sentences in length-sorted, dynamically padded batches; results are in input order.</summary>
    /// <param name="sentences">The texts; none may be null. An empty list gives an empty result.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <returns>One new array of <see cref="Dimension"/> floats per sentence.</returns>
    /// <exception cref="ObjectDisposedException">The encoder was disposed (also when <see cref="Dispose"/> ran meanwhile on another thread).</exception>
    public float[][] Encode(IReadOnlyList<string> sentences, CancellationToken cancellationToken = default) =>
        Encode(sentences, options: null, cancellationToken);

    /// <summary>Embeds sentences into one tensor, in input order.</summary>
    /// <param name="sentences">The texts; none may be null.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <returns>A new (N, <see cref="Dimension"/>) float32 tensor on <see cref="Device"/>; the caller owns (disposes) it.</returns>
    /// <exception cref="ObjectDisposedException">The encoder was disposed.</exception>
    public Tensor EncodeToTensor(IReadOnlyList<string> sentences, CancellationToken cancellationToken = default) =>
        EncodeToTensor(sentences, useEngine: true, cancellationToken);

    /// <summary>As <see cref="EncodeToTensor(IReadOnlyList{string}, CancellationToken)"/>; with <paramref name="useEngine"/>
    /// false always on libtorch, whose values do not depend on which vector width the engine would run at (training
    /// caches embeddings this way so that a seed gives the same weights on every CPU).</summary>
    internal Tensor EncodeToTensor(IReadOnlyList<string> sentences, bool useEngine, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        int n = CheckSentences(sentences);
        using var lease = Lifetime.Share();
        var ids = TokenizeAll(sentences);
        if (useEngine && ActiveEngine is { } engine)
        {
            var vectors = engine.Embed(ids, BatchSize, Pooling, Normalize, cancellationToken);
            var flat = new float[(long)n * Dimension];
            for (int i = 0; i < n; i++)
            {
                vectors[i].CopyTo(flat, (long)i * Dimension);
            }

            return tensor(flat, new long[] { n, Dimension }, device: Device);
        }

        var output = zeros(new long[] { n, Dimension }, dtype: float32, device: Device);
        try
        {
            EmbedWithLibtorch(ids, BatchSize, Normalize, (indices, pooled) =>
            {
                using var index = tensor(indices.Select(i => (long)i).ToArray(), device: Device);
                output.index_copy_(0, index, pooled);
            }, cancellationToken);
            return output;
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    /// <summary>The token ids the model sees for <paramref name="text"/>: <c>[CLS] … [SEP]</c>, truncated.</summary>
    public int[] Tokenize(string text)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(text);
        return tokenizer.Encode(lowerCaseInput ? PythonCasing.ToLower(text) : text, MaxSequenceLength);
    }

    /// <summary>Cosine similarity of two sentences' embeddings, in [-1, 1].</summary>
    public float Similarity(string first, string second)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        var vectors = Encode([first, second]);
        return CosineSimilarity(vectors[0], vectors[1]);
    }

    /// <summary>Cosine similarity of two vectors of equal length, in [-1, 1] (0 when either is all zeros).</summary>
    public static float CosineSimilarity(ReadOnlySpan<float> first, ReadOnlySpan<float> second)
    {
        if (first.Length != second.Length)
        {
            throw new ArgumentException($"Vectors differ in length ({first.Length} and {second.Length}).", nameof(second));
        }

        double dot = 0, a = 0, b = 0;
        for (int i = 0; i < first.Length; i++)
        {
            dot += (double)first[i] * second[i];
            a += (double)first[i] * first[i];
            b += (double)second[i] * second[i];
        }

        double norms = Math.Sqrt(a) * Math.Sqrt(b);
        return norms == 0 ? 0 : (float)Math.Clamp(dot / norms, -1, 1);
    }

    /// <summary>A similarity score in [0, 1]: (cosine + 1) / 2.</summary>
    public static float SimilarityScore(ReadOnlySpan<float> first, ReadOnlySpan<float> second) =>
        (CosineSimilarity(first, second) + 1f) / 2f;

    /// <summary>
    /// Saves the encoder as a Hugging Face / sentence-transformers folder (config.json, vocab.txt, model.safetensors,
    /// pooling and normalization configs) that <see cref="FromPretrained"/> and Python's SentenceTransformer load.
    /// The folder is replaced atomically: an interrupted save leaves the previous one loadable. Only a new folder, an empty
    /// one or an earlier save is replaced (see <see cref="MultiTaskModel.Save"/>).
    /// </summary>
    /// <param name="directory">The folder to create or replace.</param>
    /// <exception cref="IOException">
    /// <paramref name="directory"/> is a file, the current directory, or a folder holding anything a save did not write
    /// (it is left untouched; choose a new or empty folder); or another save of it took over five minutes.
    /// </exception>
    /// <exception cref="InvalidOperationException">A weight is NaN or infinite (the message names it); nothing is written.</exception>
    public void Save(string directory)
    {
        ThrowIfDisposed();
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        using var lease = Lifetime.Share();
        FiniteWeights.RequireForSave(Backbone.named_parameters());
        AtomicDirectory.Replace(directory, folder => EncoderFolderWriter.Write(this, folder));
    }

    /// <summary>
    /// Frees the model's native memory (idempotent). Waits for calls in flight on other threads to finish; calls made
    /// afterwards throw <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose() => Lifetime.EndOnce(() =>
    {
        DropEngine();
        model?.Dispose();
    });

    /// <summary>Throws <see cref="ObjectDisposedException"/> naming this type once <see cref="Dispose"/> has run; every public
    /// instance member but <see cref="Dispose"/> starts with it, so none answers from freed native memory.</summary>
    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Lifetime.IsDisposed, this);

    /// <summary>Token ids of each sentence (with the model's lower-casing, truncation and special tokens).</summary>
    internal int[][] TokenizeAll(IReadOnlyList<string> sentences)
    {
        var ids = new int[sentences.Count][];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = Tokenize(sentences[i]);
        }

        return ids;
    }

    /// <summary>Pads token id rows into (B, T) int64 ids and mask tensors on <see cref="Device"/>, T = longest row.</summary>
    internal (Tensor InputIds, Tensor AttentionMask) Collate(IReadOnlyList<int[]> rows)
    {
        int b = rows.Count, t = rows.Max(r => r.Length);
        var ids = new long[b * t];
        var mask = new long[b * t];
        if (tokenizer.PadTokenId != 0)
        {
            Array.Fill(ids, tokenizer.PadTokenId);
        }

        for (int i = 0; i < b; i++)
        {
            var row = rows[i];
            for (int j = 0; j < row.Length; j++)
            {
                ids[(i * t) + j] = row[j];
                mask[(i * t) + j] = 1;
            }
        }

        return (tensor(ids, new long[] { b, t }, device: Device), tensor(mask, new long[] { b, t }, device: Device));
    }

    /// <summary>Backbone → pooling → optional normalization for one padded batch, in the caller's autograd mode.</summary>
    /// <returns>(B, H) sentence embeddings.</returns>
    internal Tensor Embed(Tensor inputIds, Tensor attentionMask) => Embed(inputIds, attentionMask, Normalize);

    private Tensor Embed(Tensor inputIds, Tensor attentionMask, bool normalize)
    {
        using var tokens = Backbone.forward(inputIds, attentionMask);                                // (B, T, H)
        var pooled = SentenceMtl.Pooling.Pool(tokens, attentionMask, Pooling);                    // (B, H)
        if (!normalize)
        {
            return pooled;
        }

        using (pooled)
        {
            return SentenceMtl.Pooling.Normalize(pooled);                                         // (B, H)
        }
    }

    /// <summary>
    /// Most padded token positions (B·T) in one forward pass: batches of long texts hold fewer than
    /// <see cref="BatchSize"/> texts, so activation memory stays bounded (results do not depend on batching).
    /// </summary>
    internal int MaxBatchTokens { get; set; } = 4096;

    /// <summary>
    /// The libtorch path: cuts length-sorted batches of at most <paramref name="batchSize"/> texts, embeds them one after
    /// the other (libtorch splits each batch's work over its own threads) and hands each to <paramref name="consume"/>
    /// with its sentence indices.
    /// </summary>
    private void EmbedWithLibtorch(int[][] ids, int batchSize, bool normalize, Action<int[], Tensor> consume, CancellationToken cancellationToken)
    {
        using var inference = inference_mode();
        foreach (var batch in InferenceEngine.Batches(ids, batchSize, MaxBatchTokens))
        {
            cancellationToken.ThrowIfCancellationRequested();
            using (var scope = NewDisposeScope())
            {
                var (inputIds, mask) = Collate(batch.Select(i => ids[i]).ToArray());
                consume(batch, Embed(inputIds, mask, normalize));
            }

            if (Device.type == DeviceType.CPU && batch.Length > 1)
            {
                NativeHeap.ReturnFreeMemory();                                                  // the batch's freed activations (see NativeHeap)
            }
        }
    }

    private static int CheckSentences(IReadOnlyList<string> sentences)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        for (int i = 0; i < sentences.Count; i++)
        {
            if (sentences[i] is null)
            {
                throw new ArgumentNullException(nameof(sentences), $"Sentence {i} is null.");
            }
        }

        return sentences.Count;
    }
}
