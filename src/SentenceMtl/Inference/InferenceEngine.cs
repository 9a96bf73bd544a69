using System.Collections.Concurrent;
using System.Runtime.Intrinsics;
using SentenceMtl.Inference.Vectors;
using SentenceMtl.Modeling.Bert;

namespace SentenceMtl.Inference;

/// <summary>
/// A frozen BERT encoder's inference runtime, in the spirit of an ONNX Runtime session: built once from the weights,
/// it owns its packed weights, its activation buffers and one intra-op thread pool, and answers one kind of call —
/// token ids in, token states or sentence vectors out. It uses no TorchSharp type and no native library.
/// </summary>
/// <remarks>
/// A batch's sequences are packed back to back without padding (every token row is real), so the linear layers
/// and layer norms do no wasted work and attention stays within each sequence. Calls may come from several threads
/// at once; each takes its own workspace, and the pool serves one call at a time (the others run on their own thread).
/// The session copies the weights: changing the model afterwards does not reach it, so its owner builds a new one.
/// </remarks>
internal sealed unsafe partial class InferenceEngine : IDisposable
{
    private readonly EngineWeights weights;
    private readonly IntraOpThreadPool pool;
    private readonly IntraOpThreadPool sequential = new(1);
    private readonly ConcurrentBag<Workspace> workspaces = [];

    private InferenceEngine(BertConfig config, EngineWeights weights, VectorWidth width, EncoderQuantization quantization, int threads)
    {
        Config = config;
        this.weights = weights;
        Width = width;
        Quantization = quantization;
        pool = new IntraOpThreadPool(threads);
    }

    /// <summary>The encoder's configuration.</summary>
    public BertConfig Config { get; }

    /// <summary>The vector width the kernels run at.</summary>
    public VectorWidth Width { get; }

    /// <summary>Whether the linear layers run in float32 or int8.</summary>
    public EncoderQuantization Quantization { get; }

    /// <summary>Bytes held by the session's copy of the weights (packed, and quantized for int8).</summary>
    public long WeightBytes => weights.Bytes;

    /// <summary>Threads of the intra-op pool.</summary>
    public int Threads => pool.Threads;

    /// <summary>Why the engine cannot run <paramref name="config"/> (null when it can): it implements BERT with exact
    /// GELU and absolute positions; loading refuses other settings, naming them.</summary>
    public static string? Unsupported(BertConfig config) =>
        config.HiddenAct != "gelu" ? $"hidden_act '{config.HiddenAct}' (the engine implements 'gelu')"
        : config.PositionEmbeddingType != "absolute" ? $"position_embedding_type '{config.PositionEmbeddingType}'"
        : config.HiddenSize % config.NumAttentionHeads != 0 ? "a hidden size that is not a multiple of the head count"
        : null;

    /// <summary>Builds a session from a state dict.</summary>
    /// <param name="config">A validated configuration that <see cref="Unsupported"/> accepts.</param>
    /// <param name="weight">Reads a named weight (Hugging Face names, row-major) into the engine's buffers.</param>
    /// <param name="options">Threads and width; null for the defaults.</param>
    /// <exception cref="ArgumentException">The configuration is unsupported or a weight is missing or misshaped.</exception>
    /// <exception cref="PlatformNotSupportedException">The requested width is not accelerated here (for int8: does not run
    /// the int8 kernels).</exception>
    public static InferenceEngine Create(BertConfig config, WeightReader weight, InferenceEngineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(weight);
        options ??= new InferenceEngineOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Threads, 1, nameof(options.Threads));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Threads, InferenceEngineOptions.MaxThreads, nameof(options.Threads));
        if (Unsupported(config) is { } reason)
        {
            throw new ArgumentException($"The inference engine does not support {reason}.", nameof(config));
        }

        bool int8 = options.Quantization switch
        {
            EncoderQuantization.None => false,
            EncoderQuantization.Int8 => true,
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Quantization, "Quantization is not an EncoderQuantization value."),
        };
        // Where no width is accelerated (no FMA, say), the 128-bit kernels run on .NET's software vectors: slow, but the
        // same operations in the same order, so the same values as on a machine that accelerates them.
        var width = options.Width ?? VectorWidths.WidestFor(options.Quantization) ?? VectorWidth.Bits128;
        if (options.Width is { } requested && !VectorWidths.Runs(requested, options.Quantization))
        {
            throw new PlatformNotSupportedException($"{requested} vectors are not accelerated on this machine{(int8 ? " for the int8 kernels" : "")}.");
        }

        return new InferenceEngine(config, EngineWeights.Create(config, weight, width, int8), width, options.Quantization, options.Threads);
    }

    /// <summary>The last hidden states of one batch, its sequences' rows back to back.</summary>
    /// <param name="sequences">Token ids, each sequence at least 1 and at most max_position_embeddings long.</param>
    /// <returns>(Σ lengths, H) row-major.</returns>
    public float[] TokenStates(IReadOnlyList<int[]> sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        int[] lengths = CheckSequences(sequences);
        int h = Config.HiddenSize, tokens = lengths.Sum();
        var result = new float[(long)tokens * h];
        var workspace = Rent(tokens);
        try
        {
            Forward(sequences, lengths, workspace, pool);
            workspace.Hidden.Span[..result.Length].CopyTo(result);
        }
        finally
        {
            workspaces.Add(workspace);
        }

        return result;
    }

    /// <summary>Pooled (not normalized) sentence vectors for <paramref name="sequences"/>, cut into batches of similar lengths: several batches run
    /// side by side on the pool's threads, one batch alone splits each product over them.</summary>
    /// <param name="sequences">Token ids as for <see cref="TokenStates"/>.</param>
    /// <param name="batchSize">Most sequences per batch.</param>
    /// <param name="pooling">How token states become one vector.</param>
    /// <param name="cancellationToken">Checked before every batch.</param>
    /// <param name="batchEmbedded">Called with a batch's sequence count when its vectors are done, from the thread that
    /// computed them (several at once when batches run side by side); null for none.</param>
    /// <returns>One new array of H floats per sequence, in input order.</returns>
    public float[][] Embed(IReadOnlyList<int[]> sequences, int batchSize, PoolingStrategy pooling,
        Action<int>? batchEmbedded = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        CheckSequences(sequences);
        return EmbedBatches(sequences, Batches(sequences, batchSize), pooling, batchEmbedded, cancellationToken);
    }

    /// <summary>
    /// As <see cref="Embed"/>, in <paramref name="passes"/> batches of about equal token counts
    /// (<see cref="BalancedBatches"/>) instead of batches of a fixed number of sequences: for a caller that runs one
    /// batch per thread, whose threads should finish together however the lengths are spread.
    /// </summary>
    /// <param name="sequences">Token ids as for <see cref="TokenStates"/>.</param>
    /// <param name="passes">Batches to make, at least 1 (fewer when there are fewer sequences, more when the tokens exceed
    /// <see cref="MaxBatchTokens"/> per batch).</param>
    /// <param name="pooling">How token states become one vector.</param>
    /// <param name="batchEmbedded">As for <see cref="Embed"/>.</param>
    /// <param name="cancellationToken">Checked before every batch.</param>
    /// <returns>One new array of H floats per sequence, in input order.</returns>
    public float[][] EmbedInPasses(IReadOnlyList<int[]> sequences, int passes, PoolingStrategy pooling,
        Action<int>? batchEmbedded = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentOutOfRangeException.ThrowIfLessThan(passes, 1);
        CheckSequences(sequences);
        return EmbedBatches(sequences, BalancedBatches(sequences, passes), pooling, batchEmbedded, cancellationToken);
    }

    /// <summary>Stops the pool's threads. A call in flight finishes first; the weights are freed by the garbage
    /// collector once no call holds them.</summary>
    public void Dispose()
    {
        pool.Dispose();
        sequential.Dispose();
    }

    /// <summary>Embeds each batch (indices into <paramref name="sequences"/>, together each index once): several side
    /// by side, one sequence of batches per thread, or one alone with each product split over the threads.</summary>
    private float[][] EmbedBatches(IReadOnlyList<int[]> sequences, List<int[]> batches, PoolingStrategy pooling,
        Action<int>? batchEmbedded, CancellationToken cancellationToken)
    {
        var result = new float[sequences.Count][];
        if (batches.Count == 1)
        {
            cancellationToken.ThrowIfCancellationRequested();
            EmbedBatch(sequences, batches[0], pooling, result, pool);
            batchEmbedded?.Invoke(batches[0].Length);
            return result;
        }

        pool.Run(batches.Count, b =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            EmbedBatch(sequences, batches[b], pooling, result, sequential);
            batchEmbedded?.Invoke(batches[b].Length);
        });
        cancellationToken.ThrowIfCancellationRequested();
        return result;
    }

    private void EmbedBatch(IReadOnlyList<int[]> sequences, int[] batch, PoolingStrategy pooling, float[][] result, IntraOpThreadPool threads)
    {
        var members = batch.Select(i => sequences[i]).ToArray();
        int[] lengths = [.. members.Select(s => s.Length)];
        int h = Config.HiddenSize;
        var workspace = Rent(lengths.Sum());
        try
        {
            Forward(members, lengths, workspace, threads);
            var states = workspace.Hidden.Span;
            for (int i = 0, row = 0; i < batch.Length; row += lengths[i], i++)
            {
                var vector = new float[h];
                EnginePooling.Pool(states.Slice(row * h, lengths[i] * h), vector, pooling);
                result[batch[i]] = vector;
            }
        }
        finally
        {
            workspaces.Add(workspace);
        }
    }

    /// <summary>Most tokens in one batch: a workspace holds about 5·H floats per token (the token states, then the fused
    /// query/key/value rows and the attention output), 30 MiB at H = 384, so batches of long texts hold fewer texts.</summary>
    public const int MaxBatchTokens = 4096;

    /// <summary>Sequence indices in batches of at most <paramref name="batchSize"/> sequences and <paramref name="maxTokens"/>
    /// tokens counted as the longest length times the count (a longer sequence alone), longest first, so a batch's
    /// sequences have similar lengths (little padding for a padded forward pass, as training's) and the threads' shares of a parallel run end together.</summary>
    internal static List<int[]> Batches(IReadOnlyList<int[]> sequences, int batchSize, int maxTokens = MaxBatchTokens)
    {
        var order = Enumerable.Range(0, sequences.Count).OrderByDescending(i => sequences[i].Length).ToArray();
        var batches = new List<int[]>();
        for (int start = 0, count; start < order.Length; start += count)
        {
            int longest = sequences[order[start]].Length;                                         // sorted: the first is the longest
            count = Math.Min(order.Length - start, Math.Clamp(maxTokens / Math.Max(1, longest), 1, batchSize));
            batches.Add(order.AsSpan(start, count).ToArray());
        }

        return batches;
    }

    /// <summary>
    /// Sequence indices, longest first, cut into contiguous batches of about equal token counts: p = max(
    /// <paramref name="passes"/>, ⌈tokens / <see cref="MaxBatchTokens"/>⌉) shares, and a batch is closed as soon as the
    /// tokens so far reach its share's end, so it holds less than one sequence beyond its share (at most p batches,
    /// fewer when one sequence spans a share; none empty). Batches of shorter sequences hold more of them.
    /// </summary>
    internal static List<int[]> BalancedBatches(IReadOnlyList<int[]> sequences, int passes)
    {
        var order = Enumerable.Range(0, sequences.Count).OrderByDescending(i => sequences[i].Length).ToArray();
        long total = order.Sum(i => (long)sequences[i].Length);
        long parts = Math.Max(passes, (total + MaxBatchTokens - 1) / MaxBatchTokens);
        var batches = new List<int[]>();
        long tokens = 0;
        for (int i = 0, start = 0; i < order.Length; i++)
        {
            tokens += sequences[order[i]].Length;
            if (i == order.Length - 1 || tokens * parts >= total * (batches.Count + 1))
            {
                batches.Add(order[start..(i + 1)]);
                start = i + 1;
            }
        }

        return batches;
    }

    /// <summary>A returned workspace if it holds <paramref name="tokens"/> tokens, else a new one that does: the too-small
    /// one is dropped, so the session keeps at most one workspace per pass that ran at once, each as large as needed.</summary>
    private Workspace Rent(int tokens) =>
        workspaces.TryTake(out var candidate) && candidate.Capacity >= tokens ? candidate : Workspace.Create(Config, tokens, Quantization == EncoderQuantization.Int8);

    private int[] CheckSequences(IReadOnlyList<int[]> sequences)
    {
        var lengths = new int[sequences.Count];
        for (int s = 0; s < lengths.Length; s++)
        {
            var ids = sequences[s] ?? throw new ArgumentNullException(nameof(sequences), $"Sequence {s} is null.");
            if (ids.Length < 1 || ids.Length > Config.MaxPositionEmbeddings)
            {
                throw new ArgumentException($"Sequence {s} has {ids.Length} tokens; the model takes 1 to {Config.MaxPositionEmbeddings}.", nameof(sequences));
            }

            foreach (int id in ids)
            {
                if ((uint)id >= (uint)Config.VocabSize)
                {
                    throw new ArgumentException($"Sequence {s} holds token id {id}, outside the vocabulary of {Config.VocabSize}.", nameof(sequences));
                }
            }

            lengths[s] = ids.Length;
        }

        return lengths;
    }

    /// <summary>The one place the width is chosen: everything below runs at that width, as one generic instantiation of the kernels.</summary>
    private void Forward(IReadOnlyList<int[]> sequences, int[] lengths, Workspace workspace, IntraOpThreadPool threads)
    {
        switch (Width)
        {
            case VectorWidth.Bits512:
                Forward<Simd512, Vector512<float>>(sequences, lengths, workspace, threads);
                break;
            case VectorWidth.Bits256:
                Forward<Simd256, Vector256<float>>(sequences, lengths, workspace, threads);
                break;
            default:
                Forward<Simd128, Vector128<float>>(sequences, lengths, workspace, threads);
                break;
        }
    }
}
