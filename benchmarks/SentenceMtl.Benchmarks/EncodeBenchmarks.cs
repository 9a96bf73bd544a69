using BenchmarkDotNet.Attributes;

namespace SentenceMtl.Benchmarks;

/// <summary>
/// SentenceMtl's <see cref="SentenceEncoder.Encode(IReadOnlyList{string}, CancellationToken)"/> against the best simple
/// ONNX Runtime pipeline on the same weights, token ids, texts and thread count. Times are per text: the first 2,000
/// lines of <c>sentences_10k.txt</c>, the first 400 of <c>paragraphs_2k.txt</c>, and batch-of-1 latency over the first
/// 200 sentences. BenchmarkDotNet runs one method's iterations after another's, so slow drift of this machine can
/// bias a ratio; <c>--compare</c> interleaves the pipelines instead.
/// </summary>
[Config(typeof(ShortRunConfig))]
public class EncodeBenchmarks : IDisposable
{
    private const int SentenceCount = 2000;
    private const int ParagraphCount = 400;
    private const int LatencyCount = 200;

    private SentenceEncoder? encoder;
    private OrtPipeline? ort;
    private string[] sentences = [];
    private string[] paragraphs = [];

    /// <summary>Loads both pipelines and the texts; limits libtorch and ONNX Runtime to two threads each.</summary>
    [GlobalSetup]
    public void Setup()
    {
        BenchmarkEnvironment.InitializeTorch();
        encoder = SentenceEncoder.FromPretrained(BenchmarkEnvironment.ModelName);
        ort = OrtPipeline.Create(encoder.TokenizeAll);
        sentences = Corpus.Load("sentences", SentenceCount).Texts;
        paragraphs = Corpus.Load("paragraphs", ParagraphCount).Texts;
    }

    /// <summary>ONNX Runtime, 2,000 short texts (time per text).</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = SentenceCount), BenchmarkCategory("sentences")]
    public float[][] OrtSentences() => Ort.Encode(sentences);

    /// <summary>SentenceMtl, 2,000 short texts (time per text).</summary>
    [Benchmark(OperationsPerInvoke = SentenceCount), BenchmarkCategory("sentences")]
    public float[][] SentenceMtlSentences() => Encoder.Encode(sentences);

    /// <summary>ONNX Runtime, 400 paragraphs (time per text).</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = ParagraphCount), BenchmarkCategory("paragraphs")]
    public float[][] OrtParagraphs() => Ort.Encode(paragraphs);

    /// <summary>SentenceMtl, 400 paragraphs (time per text).</summary>
    [Benchmark(OperationsPerInvoke = ParagraphCount), BenchmarkCategory("paragraphs")]
    public float[][] SentenceMtlParagraphs() => Encoder.Encode(paragraphs);

    /// <summary>ONNX Runtime, one sentence per call (latency per sentence).</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = LatencyCount), BenchmarkCategory("batch-1")]
    public float[] OrtBatchOfOne()
    {
        float[] last = [];
        for (int i = 0; i < LatencyCount; i++)
        {
            last = Ort.Encode([sentences[i]])[0];
        }

        return last;
    }

    /// <summary>SentenceMtl, one sentence per call (latency per sentence).</summary>
    [Benchmark(OperationsPerInvoke = LatencyCount), BenchmarkCategory("batch-1")]
    public float[] SentenceMtlBatchOfOne()
    {
        float[] last = [];
        for (int i = 0; i < LatencyCount; i++)
        {
            last = Encoder.Encode(sentences[i]);
        }

        return last;
    }

    /// <summary>Frees both pipelines.</summary>
    [GlobalCleanup]
    public void Dispose()
    {
        ort?.Dispose();
        encoder?.Dispose();
        ort = null;
        encoder = null;
        GC.SuppressFinalize(this);
    }

    private SentenceEncoder Encoder => encoder ?? throw new InvalidOperationException("Setup has not run.");

    private OrtPipeline Ort => ort ?? throw new InvalidOperationException("Setup has not run.");
}
