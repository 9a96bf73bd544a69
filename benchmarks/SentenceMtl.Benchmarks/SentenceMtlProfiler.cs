using SentenceMtl.Inference;
using SentenceMtl.Inference.Kernels;
using SentenceMtl.Inference.Vectors;
using static TorchSharp.torch;

namespace SentenceMtl.Benchmarks;

/// <summary>
/// A Stopwatch breakdown of <see cref="SentenceEncoder.Encode(IReadOnlyList{string}, CancellationToken)"/> on the
/// inference engine: tokenize, then per length-sorted batch the engine's forward pass and the pooling, timed one by
/// one on an engine with the given thread count.
/// </summary>
internal static class SentenceMtlProfiler
{
    /// <summary>Encodes <paramref name="texts"/> once, timing each stage.</summary>
    /// <param name="encoder">The encoder.</param>
    /// <param name="texts">The texts.</param>
    /// <param name="kernelThreads">Threads of the engine's pool.</param>
    public static StageTimes Profile(SentenceEncoder encoder, IReadOnlyList<string> texts, int kernelThreads)
    {
        var times = new StageTimes();
        using var engine = encoder.CreateEngine(new InferenceEngineOptions { Threads = kernelThreads });
        var ids = times.Time("tokenize", () => encoder.TokenizeAll(texts));
        var order = Enumerable.Range(0, ids.Length).OrderByDescending(i => ids[i].Length).ToArray();
        int h = encoder.Dimension;
        foreach (var batch in order.Chunk(encoder.BatchSize))
        {
            var rows = batch.Select(i => ids[i]).ToArray();
            var states = times.Time("forward", () => engine.TokenStates(rows));
            times.Time("pool + normalize", () =>
            {
                var result = new float[rows.Length][];
                for (int r = 0, start = 0; r < rows.Length; start += rows[r].Length, r++)
                {
                    result[r] = new float[h];
                    EnginePooling.Pool(states.AsSpan(start * h, rows[r].Length * h), result[r], encoder.Pooling);
                    if (encoder.Normalize)
                    {
                        L2Normalization.Normalize(result[r]);
                    }
                }

                return result;
            });
        }

        return times;
    }

    /// <summary>
    /// The backbone's matrix products alone: every 2-D weight of <c>encoder.layer.*</c> applied to a (tokens, in) input
    /// for the same length-sorted batches as <see cref="Profile"/> (real tokens only, as the engine runs them), either
    /// through the engine's <see cref="PackedLinear"/> (packed before timing, widest accelerated width) or libtorch's
    /// <c>linear</c> (MKL) — what the GEMMs cost for this corpus, without attention, LayerNorm, GELU or per-op overhead.
    /// </summary>
    /// <param name="encoder">The encoder.</param>
    /// <param name="texts">The texts.</param>
    /// <param name="prepacked">Through the engine's kernel (else libtorch's <c>linear</c>).</param>
    /// <param name="threads">Threads for either (libtorch's, or the kernel's pool).</param>
    public static unsafe TimeSpan LinearLayersOnly(SentenceEncoder encoder, IReadOnlyList<string> texts, bool prepacked, int threads)
    {
        var ids = encoder.TokenizeAll(texts);
        var lengths = ids.Select(r => (long)r.Length).OrderDescending().ToArray();
        using var torchEncoder = TorchEncoder.Create(encoder, CPU);
        var parameters = torchEncoder.Backbone.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        var linears = parameters
            .Where(p => p.Key.StartsWith("encoder.layer.", StringComparison.Ordinal) && p.Key.EndsWith(".weight", StringComparison.Ordinal) && p.Value.dim() == 2)
            .Select(p => (Weight: p.Value, Bias: parameters[p.Key[..^".weight".Length] + ".bias"]))
            .ToArray();
        var elapsed = TimeSpan.Zero;
        int torchThreads = get_num_threads();
        set_num_threads(threads);
        using var pool = new IntraOpThreadPool(threads);
        using var inference = inference_mode();
        var width = VectorWidths.Widest ?? VectorWidth.Bits128;
        var packed = prepacked
            ? linears.Select(l => PackedLinear.Pack(l.Weight.data<float>().ToArray(), (int)l.Weight.shape[0], (int)l.Weight.shape[1], l.Bias.data<float>().ToArray(), width)).ToArray()
            : null;
        foreach (var batch in lengths.Chunk(encoder.BatchSize))
        {
            using var scope = NewDisposeScope();
            long tokens = batch.Sum();
            var inputs = linears.Select(l => l.Weight.shape[1]).Distinct().ToDictionary(n => n, n => randn(tokens, n));
            var inputArrays = inputs.ToDictionary(p => p.Key, p => p.Value.data<float>().ToArray());
            var outputArrays = linears.Select(l => l.Weight.shape[0]).Distinct().ToDictionary(n => n, n => new float[tokens * n]);
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            for (int i = 0; i < linears.Length; i++)
            {
                var (weight, bias) = linears[i];
                if (packed is null)
                {
                    nn.functional.linear(inputs[weight.shape[1]], weight, bias).Dispose();                             // (tokens, out)
                }
                else
                {
                    fixed (float* x = inputArrays[weight.shape[1]], y = outputArrays[weight.shape[0]])
                    {
                        packed[i].Multiply(x, tokens, y, LinearEpilogue.None, pool);
                    }
                }
            }

            elapsed += System.Diagnostics.Stopwatch.GetElapsedTime(start);
        }

        set_num_threads(torchThreads);
        return elapsed;
    }
}
