namespace SentenceMtl;

/// <summary>
/// Options of a <see cref="SentenceEncoder"/>. A <c>null</c> value keeps the model's own default (from its
/// sentence-transformers configuration, or the embedded model's published settings).
/// </summary>
public sealed record SentenceEncoderOptions
{
    /// <summary>Pooling; <c>null</c> = the model's default (mean for a plain BERT checkpoint).</summary>
    public PoolingStrategy? Pooling { get; init; }

    /// <summary>L2-normalize embeddings; <c>null</c> = the model's default (false for a plain BERT checkpoint).</summary>
    public bool? Normalize { get; init; }

    /// <summary>Longest input in tokens, including <c>[CLS]</c> and <c>[SEP]</c>; longer texts are truncated.
    /// <c>null</c> = the model's default; never more than the model's <c>max_position_embeddings</c>.</summary>
    public int? MaxSequenceLength { get; init; }

    /// <summary>Most sentences per forward pass (default 32); batches of long texts hold fewer, at most 4,096 tokens.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Lower-case input text before tokenization; <c>null</c> = the model's tokenizer setting.</summary>
    public bool? DoLowerCase { get; init; }

    /// <summary>
    /// Threads for inference on the CPU, the calling thread included: the size of the inference engine's one thread pool,
    /// over which it splits a batch's products or runs several batches side by side. Default (null): every core
    /// (<see cref="Environment.ProcessorCount"/>); at most 1,024. Training (SentenceMtl.Training) runs on libtorch's
    /// own threads, <c>TrainerOptions.Threads</c>.
    /// </summary>
    public int? Threads { get; init; }

    /// <summary>
    /// float32 (default) or int8 linear layers in the inference engine (see <see cref="EncoderQuantization.Int8"/>): with
    /// int8 the engine's weights take about a quarter of the memory and embeddings stay within about 1 % of float32 in
    /// cosine. Loading fails with a <see cref="NotSupportedException"/> on a machine whose vectors cannot run the int8
    /// kernels. Training never runs in int8: it trains float32 weights in libtorch, and the encoder it hands back is
    /// quantized from them.
    /// </summary>
    public EncoderQuantization Quantization { get; init; }

    internal void Validate()
    {
        if (!Enum.IsDefined(Quantization))
        {
            throw new ArgumentOutOfRangeException(nameof(Quantization), Quantization, "Quantization must be EncoderQuantization.None or EncoderQuantization.Int8.");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BatchSize, nameof(BatchSize));
        if (Threads is { } threads)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads, nameof(Threads));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(threads, Inference.InferenceEngineOptions.MaxThreads, nameof(Threads));
        }

        if (MaxSequenceLength is { } max)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(max, 2, nameof(MaxSequenceLength));
        }
    }
}
