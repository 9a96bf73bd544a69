using TorchSharp;

namespace SentenceMtl.Tests.Robustness;

/// <summary>
/// Many sentences through one encoder: resident memory and live tensors stay flat. The suite runs 10,000 (5 chunks of
/// 2,000) to stay quick; the benchmark console's <c>--soak 100000</c> runs the full 100,000.
/// </summary>
[Collection(Encoding.EmbeddedEncodersCollection.Name)]
public sealed class SoakTests(Encoding.EmbeddedEncoders encoders)
{
    private static long ResidentBytes() =>
        File.ReadLines("/proc/self/status").Where(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024)
            .Single();

    [Fact]
    public void Encoding_10000_sentences_keeps_memory_and_live_tensors_flat()
    {
        var corpus = File.ReadAllLines(TestPaths.Sentences);
        const int chunk = 2_000, chunks = 5;
        var resident = new List<long>();
        var live = new List<long>();
        for (int c = 0; c < chunks; c++)
        {
            var texts = Enumerable.Range(0, chunk).Select(i => corpus[((c * chunk) + i) % corpus.Length] + (c == 0 ? "" : $" #{c}")).ToArray();
            var vectors = encoders.MiniLm.Encode(texts);
            Assert.Equal(chunk, vectors.Length);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            resident.Add(ResidentBytes());
            live.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }

        // Live tensors: exactly the same count after every chunk (nothing leaks per batch).
        Assert.All(live, count => Assert.Equal(live[0], count));
        // Resident memory: after the first chunks have warmed the allocators, 8,000 more sentences add < 64 MB.
        long growth = resident[^1] - resident[1];
        Assert.True(growth < 64L << 20, $"RSS per chunk (MB): {string.Join(", ", resident.Select(r => r >> 20))}");
    }
}
