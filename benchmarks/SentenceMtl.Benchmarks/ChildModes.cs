using System.Diagnostics;
using System.Globalization;

namespace SentenceMtl.Benchmarks;

/// <summary>
/// The child-process modes of <c>--compare</c>: each runs one thing in a fresh process, so peak memory and cold
/// loading are not mixed with the other pipelines', and prints one line for the parent to parse.
/// </summary>
internal static class ChildModes
{
    /// <summary>Pipelines a memory child can run.</summary>
    public static readonly string[] Pipelines = ["ort", "minilm", "ours", "int8"];

    /// <summary>
    /// <c>--rss-child ort|ours|int8|minilm corpus N</c>: loads one pipeline, encodes the first N texts of the corpus once and
    /// prints <c>rss {after load} {peak} {libtorch mapped}</c> in bytes. The ONNX Runtime child tokenizes with
    /// <see cref="StandaloneTokenizer"/>, so no libtorch is loaded into it.
    /// </summary>
    public static int Rss(string pipeline, string corpus, int count)
    {
        var texts = Corpus.Load(corpus, count).Texts;
        Func<IReadOnlyList<string>, float[][]> encode;
        IDisposable owner;
        switch (pipeline)
        {
            case "ort":
                var tokenizer = StandaloneTokenizer.Create();
                var ort = OrtPipeline.Create(tokenizer.TokenizeAll);
                (encode, owner) = (ort.Encode, ort);
                break;
            case "ours":                                                                        // the engine: libtorch is never loaded
                var encoder = SentenceEncoder.FromPretrained(BenchmarkEnvironment.ModelName);
                (encode, owner) = (t => encoder.Encode(t), encoder);
                break;
            case "int8":                                                                        // the int8 engine, likewise without libtorch
                var quantized = SentenceEncoder.FromPretrained(BenchmarkEnvironment.ModelName, new SentenceEncoderOptions { Quantization = EncoderQuantization.Int8 });
                (encode, owner) = (t => quantized.Encode(t), quantized);
                break;
            case "minilm":
                var minilm = new MiniLmPipeline();
                (encode, owner) = (minilm.Encode, minilm);
                break;
            default:
                throw new ArgumentException($"Unknown pipeline '{pipeline}' ({string.Join(", ", Pipelines)}).", nameof(pipeline));
        }

        using (owner)
        {
            long afterLoad = ProcessMemory.Rss;
            encode(texts);
            Console.WriteLine(FormattableString.Invariant($"rss {afterLoad} {ProcessMemory.PeakRss} {ProcessMemory.IsMapped("libtorch")}"));
        }

        return 0;
    }

    /// <summary>
    /// <c>--load-child</c>: the first <see cref="SentenceEncoder.FromPretrained"/> of a fresh process (libtorch loading
    /// included; the imported weights are already in the safetensors cache) and the time since the process started;
    /// prints <c>load {ms} {ms since start}</c>.
    /// </summary>
    public static int Load()
    {
        long start = Stopwatch.GetTimestamp();
        using (SentenceEncoder.FromPretrained(BenchmarkEnvironment.ModelName))
        {
            double load = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            double sinceStart = (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"load {load:F0} {sinceStart:F0}"));
        }

        return 0;
    }
}
