using SentenceMtl.Inference;
using SentenceMtl.Inference.Vectors;
using SentenceMtl.Modeling.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace SentenceMtl;

/// <summary>The encoder's link to its <see cref="InferenceEngine"/>.</summary>
public sealed partial class SentenceEncoder
{
    private readonly int? engineThreads;
    private readonly EncoderQuantization quantization;
    private volatile InferenceEngine? engine;

    /// <summary>The engine the next call embeds with, or null for libtorch: it exists while the backbone is frozen,
    /// float32 and on the CPU (see <see cref="RefreshEngine"/>), and the backbone is in evaluation mode.</summary>
    internal InferenceEngine? ActiveEngine => model?.training == true ? null : engine;

    /// <summary>
    /// Builds the engine from the current weights when the encoder qualifies (frozen float32 backbone on the CPU, a
    /// configuration the engine implements, an accelerated vector width, the engine not switched off) and has none.
    /// Called when the encoder is made and whenever freezing or weights change, by a caller that holds the exclusive
    /// lease (or owns the encoder alone), so no call in flight is using the engine it replaces.
    /// </summary>
    internal void RefreshEngine()
    {
        if (model is null || engine is not null)
        {
            // Not loaded into libtorch yet, or an engine exists: it is current, since everything that changes the
            // weights (unfreezing, a trainer training the backbone) drops it first.
            return;
        }

        if (engineThreads is { } threads && WhyNoEngine() is null)
        {
            engine = CreateEngine(new InferenceEngineOptions { Threads = threads, Quantization = quantization });
        }
    }

    /// <summary>
    /// What computes this encoder's embeddings now, for logs and diagnostics: <c>"inference engine (512-bit vectors,
    /// 2 threads)"</c> (<c>"inference engine (int8, 512-bit vectors, 2 threads)"</c> when quantized), or
    /// <c>"libtorch"</c> with the reason the engine is not in use (switched off, backbone being trained, float64, a GPU,
    /// or no vector width this machine accelerates).
    /// </summary>
    public string InferenceBackend
    {
        get
        {
            ThrowIfDisposed();
            return ActiveEngine is { } active
                ? $"inference engine ({(active.Quantization == EncoderQuantization.Int8 ? "int8, " : "")}{(int)active.Width}-bit vectors, {active.Threads} threads)"
                : $"libtorch ({(model?.training == true ? "the backbone is in training mode" : WhyNoEngine() ?? "the engine was switched off")})";
        }
    }

    /// <summary>Why the engine cannot serve this encoder now, or null when it can.</summary>
    private string? WhyNoEngine() =>
        engineThreads is null ? "SentenceEncoderOptions.UseInferenceEngine is false"
        : Device.type != DeviceType.CPU ? $"the model runs on {Device.type}"
        : VectorWidths.Widest is null ? "no vector width with fused multiply-add is accelerated on this machine"
        : VectorWidths.WidestFor(quantization) is null
            ? "no vector width runs the int8 kernels on this machine (they need AVX-512BW, AVX2, SSSE3 or ARM64)"
        : InferenceEngine.Unsupported(config) is { } unsupported ? $"the engine does not implement {unsupported}"
        : Backbone.parameters().Any(p => p.requires_grad) ? "the backbone is not frozen"
        : Backbone.parameters().Any(p => p.dtype != ScalarType.Float32) ? "the weights are not float32"
        : null;

    /// <summary>The quantization the engine runs with (<see cref="SentenceEncoderOptions.Quantization"/>).</summary>
    public EncoderQuantization Quantization
    {
        get
        {
            ThrowIfDisposed();
            return quantization;
        }
    }

    /// <summary>Refuses an int8 encoder whose engine cannot be built: int8 exists only in the engine, and silently
    /// embedding in float32 instead would hide the setting.</summary>
    private void RequireEngineForQuantization()
    {
        if (quantization != EncoderQuantization.None && engine is null)
        {
            throw new NotSupportedException(
                $"Quantization {quantization} runs on the inference engine, which cannot serve this encoder: {WhyNoEngine() ?? "it is not built"}. Use Quantization = None.");
        }
    }

    /// <summary>Drops the engine (before weights change); calls fall back to libtorch until <see cref="RefreshEngine"/>.</summary>
    internal void DropEngine()
    {
        var previous = engine;
        engine = null;
        previous?.Dispose();
    }

    /// <summary>Builds an engine from the backbone's current weights (copied: later changes of the model do not reach it).</summary>
    /// <param name="options">Threads and vector width; null for the defaults.</param>
    internal InferenceEngine CreateEngine(InferenceEngineOptions? options = null)
    {
        options ??= new InferenceEngineOptions { Quantization = quantization };
        var state = Backbone.state_dict();
        return InferenceEngine.Create(config, (name, destination) =>
        {
            if (!state.TryGetValue(name, out var tensor) || tensor.dtype != ScalarType.Float32 || tensor.numel() != destination.Length)
            {
                return false;
            }

            using var cpu = tensor.detach().cpu().contiguous();
            TensorMemory.Values(cpu).CopyTo(destination);
            return true;
        }, options);
    }
}
