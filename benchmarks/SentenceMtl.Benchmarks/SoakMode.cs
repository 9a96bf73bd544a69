using System.Diagnostics;
using TorchSharp;

namespace SentenceMtl.Benchmarks;

/// <summary>
/// <c>--soak N [threads]</c>: encodes N sentences (cycling <c>sentences_10k.txt</c>) in calls of 1,000 and prints, every 10,000,
/// the resident memory and TorchSharp's live-tensor count, to show that neither grows.
/// </summary>
internal static class SoakMode
{
    private const int CallSize = 1000;
    private const int ReportEvery = 10_000;

    /// <summary>Runs the soak and prints a Markdown table.</summary>
    /// <param name="count">Sentences to encode.</param>
    /// <param name="threads">libtorch threads (default <see cref="BenchmarkEnvironment.Threads"/>).</param>
    public static int Run(int count, int threads = BenchmarkEnvironment.Threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        BenchmarkEnvironment.InitializeTorch();
        torch.set_num_threads(threads);
        var texts = Corpus.Load("sentences", 10_000).Texts;
        using var encoder = SentenceEncoder.FromPretrained(BenchmarkEnvironment.ModelName);
        Console.WriteLine($"Soak: {count:N0} sentences in calls of {CallSize:N0} (batch {encoder.BatchSize}), libtorch threads {torch.get_num_threads()}.");
        Console.WriteLine();
        Console.WriteLine("| sentences | RSS MiB | peak RSS MiB | live tensors (thread / process) | managed heap MiB | texts/s (last 10k) |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|");
        Console.WriteLine($"| 0 | {ProcessMemory.Mib(ProcessMemory.Rss)} | {ProcessMemory.Mib(ProcessMemory.PeakRss)} | {LiveTensors()} / {torch.Tensor.TotalCount} | {ProcessMemory.Mib(GC.GetTotalMemory(false))} | |");
        long window = Stopwatch.GetTimestamp();
        int sinceReport = 0;
        for (int done = 0; done < count;)
        {
            int n = Math.Min(CallSize, count - done);
            var batch = Enumerable.Range(done, n).Select(i => texts[i % texts.Length]).ToArray();
            encoder.Encode(batch);
            done += n;
            sinceReport += n;
            if (done % ReportEvery == 0 || done == count)
            {
                double rate = sinceReport / Stopwatch.GetElapsedTime(window).TotalSeconds;
                Console.WriteLine($"| {done:N0} | {ProcessMemory.Mib(ProcessMemory.Rss)} | {ProcessMemory.Mib(ProcessMemory.PeakRss)} | {LiveTensors()} / {torch.Tensor.TotalCount} | {ProcessMemory.Mib(GC.GetTotalMemory(false))} | {rate:F0} |");
                window = Stopwatch.GetTimestamp();
                sinceReport = 0;
            }
        }

        return 0;
    }

    /// <summary>Tensors alive on this thread as TorchSharp's dispose-scope statistics count them.</summary>
    private static long LiveTensors() => DisposeScopeManager.Statistics.ThreadTotalLiveCount;
}
