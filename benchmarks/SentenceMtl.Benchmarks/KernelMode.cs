using System.Diagnostics;
using System.Runtime.Intrinsics;
using SentenceMtl.Inference;
using SentenceMtl.Inference.Kernels;
using SentenceMtl.Inference.Vectors;

namespace SentenceMtl.Benchmarks;

/// <summary>
/// <c>--kernels</c>: the engine's float32 and int8 linear products alone, on one thread, for the shapes of a MiniLM
/// layer (a batch of 384 token rows): multiply-adds per second, and the int8 product's time split into quantizing the
/// input and the product itself. Best of several repetitions, at every width this machine runs; then the whole engine
/// on one thread, float32 against int8.
/// </summary>
internal static unsafe class KernelMode
{
    private const int Rows = 384;
    private const int Repetitions = 30;

    /// <summary>Runs the measurements and prints Markdown.</summary>
    public static int Run()
    {
        (string Name, int N, int K)[] shapes = [("query/key/value", 1152, 384), ("attention output", 384, 384), ("intermediate", 1536, 384), ("output", 384, 1536)];
        Console.WriteLine($"### Linear products, {Rows} rows, 1 thread (GMAC/s, best of {Repetitions})");
        Console.WriteLine();
        Console.WriteLine("| width | layer (N × K) | float32 | int8 (quantize + product) | int8 product only | quantize share | int8 / float32 |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
        using var pool = new IntraOpThreadPool(1);
        foreach (var width in VectorWidths.Accelerated.Where(VectorWidths.IsInt8Accelerated))
        {
            foreach (var (name, n, k) in shapes)
            {
                var random = new Random(n + k);
                var weight = Enumerable.Range(0, n * k).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
                var bias = new float[n];
                var x = new AlignedBuffer((long)Rows * k);
                for (int i = 0; i < x.Length; i++)
                {
                    x.Span[i] = (float)(random.NextDouble() - 0.5);
                }

                var y = new AlignedBuffer((long)Rows * n);
                var q = new AlignedBuffer((long)Rows * (k + 3) / 4 + 1);
                var scales = new AlignedBuffer(Rows);
                var floats = PackedLinear.Pack(weight, n, k, bias, width);
                var int8 = QuantizedLinear.Pack(weight, n, k, bias, width);
                double f = Best(() => floats.Multiply(x.Pointer, Rows, y.Pointer, LinearEpilogue.None, pool));
                double quantize = Best(() => Quantize(width, x.Pointer, k, (byte*)q.Pointer, scales.Pointer, pool));
                double product = Best(() => Multiply(width, int8, (byte*)q.Pointer, scales.Pointer, y.Pointer, pool));
                double macs = (double)Rows * n * k / 1e9;
                Console.WriteLine($"| {(int)width} | {name} ({n} × {k}) | {macs / f:F1} | {macs / (quantize + product):F1} | {macs / product:F1} | {100 * quantize / (quantize + product):F0} % | {f / (quantize + product):F2}× |");
            }
        }

        Attention();
        Engines();
        return 0;
    }

    /// <summary>Attention alone on one thread: a batch of 32 sequences of one length, MiniLM's 12 heads of 32, at every
    /// width; nanoseconds per (sequence, head).</summary>
    private static void Attention()
    {
        const int heads = 12, headSize = 32, hidden = heads * headSize, sequences = 32;
        int[] lengths = [12, 49, 128];
        Console.WriteLine();
        Console.WriteLine($"### Attention, {sequences} sequences, {heads} heads of {headSize}, 1 thread (ns per sequence and head, best of {Repetitions})");
        Console.WriteLine();
        Console.WriteLine($"| width | {string.Join(" | ", lengths.Select(n => $"length {n}"))} |");
        Console.WriteLine($"|---|{string.Concat(lengths.Select(_ => "---:|"))}");
        using var pool = new IntraOpThreadPool(1);
        foreach (var width in VectorWidths.Accelerated)
        {
            var cells = lengths.Select(length =>
            {
                int[] batch = Enumerable.Repeat(length, sequences).ToArray();
                var random = new Random(length);
                var qkv = new AlignedBuffer(sequences * length * 3 * hidden);
                var y = new AlignedBuffer(sequences * length * hidden);
                for (int i = 0; i < qkv.Length; i++)
                {
                    qkv.Span[i] = (float)(random.NextDouble() - 0.5);
                }

                double seconds = Best(() => Attend(width, qkv.Pointer, y.Pointer, batch, heads, headSize, pool));
                return $"{seconds * 1e9 / (sequences * heads):F0}";
            });
            Console.WriteLine($"| {(int)width} | {string.Join(" | ", cells)} |");
        }
    }

    private static void Attend(VectorWidth width, float* qkv, float* y, int[] lengths, int heads, int headSize, IntraOpThreadPool pool)
    {
        switch (width)
        {
            case VectorWidth.Bits512:
                AttentionKernel.Run<Simd512, Vector512<float>>(qkv, y, lengths, heads, headSize, pool);
                break;
            case VectorWidth.Bits256:
                AttentionKernel.Run<Simd256, Vector256<float>>(qkv, y, lengths, heads, headSize, pool);
                break;
            default:
                AttentionKernel.Run<Simd128, Vector128<float>>(qkv, y, lengths, heads, headSize, pool);
                break;
        }
    }

    /// <summary>The whole engine on one thread, float32 against int8, on the standard corpora (token ids as <c>Encode</c>
    /// makes them): the share of the speed-up the linear layers leave to the rest of the forward pass.</summary>
    private static void Engines()
    {
        using var encoder = SentenceEncoder.FromPretrained(BenchmarkEnvironment.ModelName);
        using var floats = encoder.CreateEngine(new InferenceEngineOptions { Threads = 1 });
        using var int8 = encoder.CreateEngine(new InferenceEngineOptions { Threads = 1, Quantization = EncoderQuantization.Int8 });
        Console.WriteLine();
        Console.WriteLine($"### The whole engine, 1 thread, {int8.Width} (texts/s, best of 3)");
        Console.WriteLine();
        Console.WriteLine("| corpus | float32 | int8 | int8 / float32 |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (var corpus in Corpus.Standard)
        {
            var ids = encoder.TokenizeAll(corpus.Texts);
            double f = Best(() => floats.Embed(ids, BenchmarkEnvironment.BatchSize, PoolingStrategy.Mean), repetitions: 3);
            double q = Best(() => int8.Embed(ids, BenchmarkEnvironment.BatchSize, PoolingStrategy.Mean), repetitions: 3);
            Console.WriteLine($"| {corpus.Name} ({corpus.Texts.Length}) | {corpus.Texts.Length / f:F0} | {corpus.Texts.Length / q:F0} | {f / q:F2}× |");
        }
    }

    private static double Best(Action action, int repetitions = Repetitions)
    {
        long warmUp = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(warmUp).TotalMilliseconds < 500)
        {
            action();                                                                          // until the JIT's last tier runs
        }

        double best = double.MaxValue;
        for (int i = 0; i < repetitions; i++)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        return best;
    }

    private static void Quantize(VectorWidth width, float* x, int k, byte* q, float* scales, IntraOpThreadPool pool)
    {
        switch (width)
        {
            case VectorWidth.Bits512:
                ActivationQuantizer.Quantize<Simd512, Vector512<float>>(x, Rows, k, q, scales, pool);
                break;
            case VectorWidth.Bits256:
                ActivationQuantizer.Quantize<Simd256, Vector256<float>>(x, Rows, k, q, scales, pool);
                break;
            default:
                ActivationQuantizer.Quantize<Simd128, Vector128<float>>(x, Rows, k, q, scales, pool);
                break;
        }
    }

    private static void Multiply(VectorWidth width, QuantizedLinear linear, byte* q, float* scales, float* y, IntraOpThreadPool pool)
    {
        switch (width)
        {
            case VectorWidth.Bits512:
                linear.Multiply<Simd512, Vector512<float>>(q, scales, Rows, y, LinearEpilogue.None, pool);
                break;
            case VectorWidth.Bits256:
                linear.Multiply<Simd256, Vector256<float>>(q, scales, Rows, y, LinearEpilogue.None, pool);
                break;
            default:
                linear.Multiply<Simd128, Vector128<float>>(q, scales, Rows, y, LinearEpilogue.None, pool);
                break;
        }
    }
}
