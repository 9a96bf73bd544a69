using System.Runtime.InteropServices;
using SentenceMtl.Modeling.Kernels;
using static TorchSharp.torch;

namespace SentenceMtl.Benchmarks;

/// <summary>
/// A Stopwatch breakdown of <see cref="SentenceEncoder.Encode(IReadOnlyList{string}, CancellationToken)"/>: the same
/// steps (tokenize, length sort, collate, backbone, pooling + normalize, copy out) timed one by one, with libtorch
/// single-threaded as <c>Encode</c> runs it: with one kernel thread, each of <c>Encode</c>'s workers when it runs
/// batches side by side (one per core); with all of them, <c>Encode</c> on a single batch. CPU torch ops are synchronous, so each stopwatch sees its own work. It uses only the
/// encoder's stable entry points, not the backbone's inner modules, so it survives changes inside <c>Modeling/</c>.
/// </summary>
internal static class SentenceMtlProfiler
{
    /// <summary>Encodes <paramref name="texts"/> once, timing each stage.</summary>
    /// <param name="encoder">The encoder.</param>
    /// <param name="texts">The texts.</param>
    /// <param name="kernelThreads">Threads each prepacked product may use.</param>
    public static StageTimes Profile(SentenceEncoder encoder, IReadOnlyList<string> texts, int kernelThreads)
    {
        var times = new StageTimes();
        using var threads = InferenceThreads.Use(kernelThreads);
        var ids = times.Time("tokenize", () => encoder.TokenizeAll(texts));
        var order = Enumerable.Range(0, ids.Length).OrderByDescending(i => ids[i].Length).ToArray();
        using var inference = inference_mode();
        for (int begin = 0; begin < order.Length; begin += encoder.BatchSize)
        {
            using var scope = NewDisposeScope();
            var rows = order.Skip(begin).Take(encoder.BatchSize).Select(i => ids[i]).ToArray();
            var (inputIds, mask) = times.Time("collate", () => encoder.Collate(rows));
            var hidden = times.Time("forward", () => encoder.Backbone.forward(inputIds, mask));                   // (B, T, H)
            var pooled = times.Time("pool + normalize", () => Pooling.Normalize(Pooling.Pool(hidden, mask, encoder.Pooling)));
            times.Time("copy out", () =>
            {
                using var cpu = pooled.to(CPU).contiguous();                                                      // (B, H)
                var values = MemoryMarshal.Cast<byte, float>(cpu.bytes);
                int h = encoder.Dimension;
                var result = new float[rows.Length][];
                for (int r = 0; r < result.Length; r++)
                {
                    result[r] = values.Slice(r * h, h).ToArray();
                }

                return result;
            });
        }

        return times;
    }

    /// <summary>
    /// The backbone's matrix products alone: every 2-D weight of <c>encoder.layer.*</c> (query, key,
    /// value, the two output denses, the intermediate dense) applied to a (B·T, in) input, for the same padded batches
    /// as <see cref="Profile"/>, either through <see cref="PrepackedLinear"/> (packed before timing) or libtorch's
    /// <c>linear</c> (MKL) — what the GEMMs cost for this corpus, without attention, LayerNorm, GELU, masking or
    /// per-op overhead.
    /// </summary>
    /// <param name="encoder">The encoder.</param>
    /// <param name="texts">The texts.</param>
    /// <param name="prepacked">Through the prepacked kernel (else libtorch's <c>linear</c>).</param>
    /// <param name="threads">Threads for either (libtorch's on this thread, or the kernel's).</param>
    public static TimeSpan LinearLayersOnly(SentenceEncoder encoder, IReadOnlyList<string> texts, bool prepacked, int threads)
    {
        var ids = encoder.TokenizeAll(texts);
        var lengths = ids.Select(r => (long)r.Length).OrderDescending().ToArray();
        var parameters = encoder.Backbone.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        var linears = parameters
            .Where(p => p.Key.StartsWith("encoder.layer.", StringComparison.Ordinal) && p.Key.EndsWith(".weight", StringComparison.Ordinal) && p.Value.dim() == 2)
            .Select(p => (Weight: p.Value, Bias: parameters[p.Key[..^".weight".Length] + ".bias"]))
            .ToArray();
        var elapsed = TimeSpan.Zero;
        using var scope0 = InferenceThreads.Use(threads);
        int torchThreads = get_num_threads();
        set_num_threads(prepacked ? 1 : threads);
        using var inference = inference_mode();
        var packed = prepacked ? linears.Select(l => PrepackedLinear.Pack(l.Weight, l.Bias)).ToArray() : null;
        foreach (var batch in lengths.Chunk(encoder.BatchSize))
        {
            using var scope = NewDisposeScope();
            long tokens = batch[0] * batch.Length;                                                                // B·T, padded
            var inputs = linears.Select(l => l.Weight.shape[1]).Distinct().ToDictionary(n => n, n => randn(tokens, n));
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            for (int i = 0; i < linears.Length; i++)
            {
                var (weight, bias) = linears[i];
                var input = inputs[weight.shape[1]];
                (packed is null ? nn.functional.linear(input, weight, bias) : packed[i].Forward(input)).Dispose(); // (B·T, out)
            }

            elapsed += System.Diagnostics.Stopwatch.GetElapsedTime(start);
        }

        foreach (var p in packed ?? [])
        {
            p.Dispose();
        }

        set_num_threads(torchThreads);
        return elapsed;
    }
}
