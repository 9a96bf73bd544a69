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

    /// <summary>Most sentences per forward pass (default 32); batches of long texts hold fewer, at most 4,096 padded tokens.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Lower-case input text before tokenization; <c>null</c> = the model's tokenizer setting.</summary>
    public bool? DoLowerCase { get; init; }

    /// <summary>
    /// Torch device: <c>"cpu"</c>, <c>"cuda"</c> or <c>"cuda:N"</c> (any case); <c>null</c> = CUDA when TorchSharp reports it, else
    /// CPU. CUDA needs TorchSharp's CUDA package (<c>TorchSharp-cuda-linux</c> or <c>TorchSharp-cuda-windows</c>, the same
    /// version as <c>TorchSharp-cpu</c>, in its place); without it <c>"cuda"</c> fails with an <see cref="InvalidOperationException"/>
    /// that says so.
    /// </summary>
    public string? Device { get; init; }

    /// <summary>
    /// Threads for inference on the CPU, the calling thread included: the size of the inference engine's one thread pool,
    /// over which it splits a batch's products or runs several batches side by side. Default (null): every core
    /// (<see cref="Environment.ProcessorCount"/>); at most 1,024. libtorch (training, float64, GPU) keeps its own
    /// setting, <c>torch.set_num_threads</c>.
    /// </summary>
    public int? Threads { get; init; }

    /// <summary>
    /// Whether a frozen float32 encoder on the CPU embeds through SentenceMtl's inference engine (its own kernels on a
    /// copy of the weights, no libtorch) rather than libtorch; default true. The two agree to float rounding (1e-4 on
    /// token states); false keeps one copy of the weights instead of two.
    /// </summary>
    public bool UseInferenceEngine { get; init; } = true;

    /// <summary>
    /// float32 (default) or int8 linear layers in the inference engine (see <see cref="EncoderQuantization.Int8"/>): with
    /// int8 the engine's weights take about a quarter of the memory and embeddings stay within about 1 % of float32 in
    /// cosine. Needs the inference engine (<see cref="UseInferenceEngine"/>, the CPU); loading fails with a
    /// <see cref="NotSupportedException"/> naming the reason when the engine cannot serve the model. Training never runs
    /// in int8: while a backbone is being trained the encoder embeds through libtorch in float32, and afterwards the
    /// engine is quantized from the trained weights.
    /// </summary>
    public EncoderQuantization Quantization { get; init; }

    internal void Validate()
    {
        if (!Enum.IsDefined(Quantization))
        {
            throw new ArgumentOutOfRangeException(nameof(Quantization), Quantization, "Quantization must be EncoderQuantization.None or EncoderQuantization.Int8.");
        }

        if (Quantization != EncoderQuantization.None && !UseInferenceEngine)
        {
            throw new ArgumentException(
                $"Quantization {Quantization} runs on the inference engine, but UseInferenceEngine is false; set UseInferenceEngine = true or Quantization = None.",
                nameof(Quantization));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BatchSize, nameof(BatchSize));
        if (Threads is { } threads)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads, nameof(Threads));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(threads, Inference.InferenceEngineOptions.MaxThreads, nameof(Threads));
        }

        TorchDevice.Validate(Device);
        if (MaxSequenceLength is { } max)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(max, 2, nameof(MaxSequenceLength));
        }
    }
}
