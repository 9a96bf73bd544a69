using SentenceMtl.Checkpoints;
using SentenceMtl.Inference;
using SentenceMtl.Modeling.Bert;
using SentenceMtl.Tokenization;

namespace SentenceMtl;

/// <summary>
/// Turns sentences into fixed-length embeddings: tokenizer, BERT backbone (Hugging Face weight names), pooling and
/// optional L2 normalization — the sentence-transformers pipeline, run by SentenceMtl's own inference engine.
/// </summary>
/// <remarks>
/// An encoder is an immutable inference session, in the spirit of ONNX Runtime's: built once from the weights, it owns
/// its packed copy of them, its buffers and one thread pool (<see cref="SentenceEncoderOptions.Threads"/>), and needs no
/// native library. <see cref="Encode(IReadOnlyList{string}, CancellationToken)"/> is safe to call from several threads at
/// once. Training (the SentenceMtl.Training package) reads an encoder's weights and hands back a new encoder built from
/// the trained ones; nothing changes an encoder after it is built. Dispose it to stop its threads.
/// </remarks>
public sealed partial class SentenceEncoder : IDisposable
{
    private readonly ModelSource source;
    private readonly BertWordPieceTokenizer tokenizer;
    private readonly InferenceEngine engine;
    private readonly EncoderWeights weights;

    private SentenceEncoder(ModelSource source, BertWordPieceTokenizer tokenizer, EncoderWeights weights, InferenceEngine engine,
        PoolingStrategy pooling, bool normalize, int maxSequenceLength, int batchSize)
    {
        this.source = source;
        this.tokenizer = tokenizer;
        this.weights = weights;
        this.engine = engine;
        ModelId = source.Id;
        Pooling = pooling;
        Normalize = normalize;
        MaxSequenceLength = maxSequenceLength;
        BatchSize = batchSize;
    }

    /// <summary>The name or path the model was loaded from.</summary>
    public string ModelId { get { ThrowIfDisposed(); return field; } }

    /// <summary>Length of every embedding (the backbone's hidden size).</summary>
    public int Dimension { get { ThrowIfDisposed(); return source.Config.HiddenSize; } }

    /// <summary>The pooling in use.</summary>
    public PoolingStrategy Pooling { get { ThrowIfDisposed(); return field; } }

    /// <summary>Whether embeddings are L2-normalized.</summary>
    public bool Normalize { get { ThrowIfDisposed(); return field; } }

    /// <summary>Longest input in tokens (with <c>[CLS]</c> and <c>[SEP]</c>); longer texts are truncated.</summary>
    public int MaxSequenceLength { get { ThrowIfDisposed(); return field; } }

    /// <summary>Most sentences per forward pass; batches of long texts hold fewer (at most 4,096 tokens per pass).</summary>
    public int BatchSize { get { ThrowIfDisposed(); return field; } }

    /// <summary>Shared by calls that use the engine, exclusive for <see cref="Dispose"/> (see <see cref="EncoderLifetime"/>).</summary>
    internal EncoderLifetime Lifetime { get; } = new(typeof(SentenceEncoder).FullName!);

    internal BertWordPieceTokenizer Tokenizer => tokenizer;

    /// <summary>The resolved model: configuration, tokenizer settings, prompts; what a trained copy keeps.</summary>
    internal ModelSource Source => source;

    /// <summary>The backbone's configuration (<c>config.json</c>).</summary>
    internal BertConfig Config => source.Config;

    /// <summary>The session that computes the embeddings.</summary>
    internal InferenceEngine Engine => engine;

    /// <summary>Embeds one sentence.</summary>
    /// <param name="sentence">The text (any length; truncated to <see cref="MaxSequenceLength"/> tokens).</param>
    /// <returns>A new array of <see cref="Dimension"/> floats.</returns>
    public float[] Encode(string sentence)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(sentence);
        return Encode([sentence])[0];
    }

    /// <summary>Embeds sentences in length-sorted batches; results are in input order.</summary>
    /// <param name="sentences">The texts; none may be null. An empty list gives an empty result.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <returns>One new array of <see cref="Dimension"/> floats per sentence.</returns>
    /// <exception cref="ObjectDisposedException">The encoder was disposed (also when <see cref="Dispose"/> ran meanwhile on another thread).</exception>
    public float[][] Encode(IReadOnlyList<string> sentences, CancellationToken cancellationToken = default) =>
        Encode(sentences, options: null, cancellationToken);

    /// <summary>The token ids the model sees for <paramref name="text"/>: <c>[CLS] … [SEP]</c>, truncated.</summary>
    public int[] Tokenize(string text)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(text);
        return tokenizer.Encode(source.LowerCaseInput ? PythonCasing.ToLower(text) : text, MaxSequenceLength);
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

    /// <summary>Cosine similarity of two vectors of equal length (0 when either is all zeros): the cosine
    /// <see cref="EmbeddingSimilarity"/> and <see cref="SemanticSearch"/> compute, for one pair.</summary>
    /// <exception cref="ArgumentException">The lengths differ or are 0, or a value is not finite.</exception>
    public static float CosineSimilarity(ReadOnlySpan<float> first, ReadOnlySpan<float> second) =>
        EmbeddingSimilarity.Compute(first.ToArray(), second.ToArray(), SimilarityFunction.Cosine);

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
    /// <exception cref="InvalidOperationException">The weight file the encoder was loaded from changed since (load it again).</exception>
    public void Save(string directory)
    {
        ThrowIfDisposed();
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        using var lease = Lifetime.Share();
        var tensors = weights.ReadAll();
        AtomicDirectory.Replace(directory, folder => EncoderFolderWriter.Write(this, tensors, folder));
    }

    /// <summary>
    /// Stops the engine's threads (idempotent). Waits for calls in flight on other threads to finish; calls made
    /// afterwards throw <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose() => Lifetime.EndOnce(engine.Dispose);

    /// <summary>Throws <see cref="ObjectDisposedException"/> naming this type once <see cref="Dispose"/> has run; every public
    /// instance member but <see cref="Dispose"/> starts with it.</summary>
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
}
