using SentenceMtl.Checkpoints;
using SentenceMtl.Inference;
using SentenceMtl.Serialization;

namespace SentenceMtl;

// The encoder's inference session, and new encoders built from other weights (what training hands back).
public sealed partial class SentenceEncoder
{
    /// <summary>
    /// What computes this encoder's embeddings, for logs and diagnostics: <c>"inference engine (512-bit vectors,
    /// 2 threads)"</c>, or <c>"inference engine (int8, 512-bit vectors, 2 threads)"</c> when quantized.
    /// </summary>
    public string InferenceBackend
    {
        get
        {
            ThrowIfDisposed();
            return $"inference engine ({(engine.Quantization == EncoderQuantization.Int8 ? "int8, " : "")}{(int)engine.Width}-bit vectors, {engine.Threads} threads)";
        }
    }

    /// <summary>The quantization the engine runs with (<see cref="SentenceEncoderOptions.Quantization"/>).</summary>
    public EncoderQuantization Quantization
    {
        get
        {
            ThrowIfDisposed();
            return engine.Quantization;
        }
    }

    /// <summary>The backbone's weights as float32 tensors (Hugging Face names, no prefix), read from the file the
    /// encoder was built from or held since training: for saving and for training, which starts from them.</summary>
    /// <exception cref="InvalidOperationException">The weight file changed since the encoder was built from it.</exception>
    internal IReadOnlyList<TensorData> ReadWeights()
    {
        using var lease = Lifetime.Share();
        return weights.ReadAll();
    }

    /// <summary>Another session over this encoder's weights, at a chosen width, thread count or quantization (for
    /// tests and benchmarks that compare widths); the caller disposes it.</summary>
    /// <param name="options">Threads, width and quantization; null for the defaults.</param>
    internal InferenceEngine CreateEngine(InferenceEngineOptions? options = null)
    {
        var held = EncoderWeights.InMemory(ReadWeights(), source);
        return InferenceEngine.Create(source.Config, held.Read, options ?? new InferenceEngineOptions { Quantization = engine.Quantization });
    }

    /// <summary>
    /// A new encoder with this one's tokenizer, settings, threads and quantization, whose session is built from
    /// <paramref name="trained"/> (every backbone weight, float32, Hugging Face names): how training hands back its result.
    /// </summary>
    /// <param name="trained">The weights; the new encoder keeps them (for saving) and packs its own copy.</param>
    /// <exception cref="ModelFormatException">A weight is missing, misshaped or not finite.</exception>
    internal SentenceEncoder WithWeights(IReadOnlyList<TensorData> trained)
    {
        using var lease = Lifetime.Share();
        var held = EncoderWeights.InMemory(trained, source);
        var session = InferenceEngine.Create(source.Config, held.Read,
            new InferenceEngineOptions { Threads = engine.Threads, Quantization = engine.Quantization });
        return new SentenceEncoder(source, tokenizer, held, session, Pooling, Normalize, MaxSequenceLength, BatchSize);
    }
}
