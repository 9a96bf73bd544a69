using SentenceMtl.Inference.Vectors;

namespace SentenceMtl.Inference;

/// <summary>How an <see cref="InferenceEngine"/> runs.</summary>
internal sealed record InferenceEngineOptions
{
    /// <summary>Most threads a pool may have: each one is a dedicated thread with its own stack.</summary>
    public const int MaxThreads = 1024;

    /// <summary>Threads of the session's pool (the caller's thread included); default: every core.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>The vector width to run at; default (null): the widest this machine accelerates. Tests set it to run
    /// the narrower widths' code on a machine that has a wider one.</summary>
    public VectorWidth? Width { get; init; }

    /// <summary>float32 or int8 linear layers; default float32.</summary>
    public EncoderQuantization Quantization { get; init; }
}
