using Microsoft.ML.OnnxRuntime;
using TorchSharp;

namespace SentenceMtl.Benchmarks;

/// <summary>
/// The settings every measurement shares, so that TorchSharp and ONNX Runtime compete on equal terms: the same
/// model, the same number of compute threads, full graph optimisation for ONNX Runtime.
/// </summary>
internal static class BenchmarkEnvironment
{
    /// <summary>The embedded model both pipelines run (the same fp32 ONNX file, imported by SentenceMtl).</summary>
    public const string ModelName = "all-MiniLM-L6-v2";

    /// <summary>Compute threads of both libtorch (intra-op) and ONNX Runtime (intra-op).</summary>
    public const int Threads = 2;

    /// <summary>Sentences per forward pass in every pipeline (SentenceMtl's default).</summary>
    public const int BatchSize = 32;

    /// <summary>Makes TorchSharp loadable and limits libtorch to <see cref="Threads"/> threads. Idempotent.</summary>
    public static void InitializeTorch()
    {
        TorchSharpNative.EnsureLoadable();
        torch.set_num_threads(Threads);
    }

    /// <summary>ONNX Runtime's best simple CPU settings (default <see cref="Threads"/> threads); the caller disposes them.</summary>
    public static SessionOptions CreateSessionOptions(int threads = Threads) => new()
    {
        IntraOpNumThreads = threads,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
    };
}
