using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using SentenceMtl.Inference;
using SentenceMtl.Inference.Kernels;
using SentenceMtl.Inference.Vectors;
using SentenceMtl.Tests.Inference.Kernels;

namespace SentenceMtl.PortableChecks;

/// <summary>
/// The int8 kernels at 128 bits against exact integer references (tests/SentenceMtl.Tests/Inference/Kernels and
/// QuantizedLinearTests): the byte multiply-add in each form this CPU runs (ARM64's <c>sdot</c> where <see cref="Dp"/>
/// is supported, the portable form everywhere), <see cref="ActivationQuantizer"/>'s rule, and <see cref="QuantizedLinear"/>.
/// </summary>
internal static unsafe class Int8KernelChecks
{
    /// <summary>Which byte multiply-add <see cref="Simd128.MultiplyAddBytes"/> runs here.</summary>
    public static string BytePath => Dp.IsSupported ? "sdot (ARM64 Dp)" : Ssse3.IsSupported ? "pmaddubsw+pmaddwd (SSSE3)" : "portable (shifts and 32-bit multiplies)";

    public static void Run(CheckLog log)
    {
        log.Guard("byte-multiply-add", () => ByteMultiplyAdd(log));
        log.Guard("activation-quantizer", () => QuantizerFollowsTheRule(log));
        log.Guard("quantized-linear", () => QuantizedLinearIsExact(log));
    }

    private static void ByteMultiplyAdd(CheckLog log)
    {
        int wrong = 0, total = 0;
        foreach (var (bytes, weights, accumulator) in Cases())
        {
            var expected = Expected(bytes, weights, accumulator);
            var (a, u, s) = (Vector128.Create(accumulator).AsSingle(), Vector128.Create(bytes).AsSingle(), Vector128.Create(weights).AsSingle());
            wrong += Lanes(Simd128.MultiplyAddBytes(a, u, s)).SequenceEqual(expected) ? 0 : 1;
            total++;
        }

        log.Check("byte-multiply-add-128 dispatch", wrong == 0, $"{BytePath}: {total - wrong} of {total} vectors exact");

        wrong = 0;
        foreach (var (bytes, weights, accumulator) in Cases())
        {
            var result = Simd128.MultiplyAddBytesPortable(Vector128.Create(accumulator).AsSingle(), Vector128.Create(bytes).AsSingle(), Vector128.Create(weights).AsSingle());
            wrong += Lanes(result).SequenceEqual(Expected(bytes, weights, accumulator)) ? 0 : 1;
        }

        log.Check("byte-multiply-add-128 portable", wrong == 0, $"{total - wrong} of {total} vectors exact");
        if (Dp.IsSupported)
        {
            wrong = 0;
            foreach (var (bytes, weights, accumulator) in Cases())
            {
                var result = Simd128.MultiplyAddBytesDotProduct(Vector128.Create(accumulator).AsSingle(), Vector128.Create(bytes).AsSingle(), Vector128.Create(weights).AsSingle());
                wrong += Lanes(result).SequenceEqual(Expected(bytes, weights, accumulator)) ? 0 : 1;
            }

            log.Check("byte-multiply-add-128 sdot", wrong == 0, $"{total - wrong} of {total} vectors exact");
        }
        else
        {
            Console.WriteLine("SKIP byte-multiply-add-128 sdot: this CPU has no ARM64 dot-product extension");
        }

        var integral = new float[] { 255, 0, 97, 128, 0xA5 };
        var narrowed = new byte[] { 1, 2, 3, 4, 0xA5 };
        fixed (float* source = integral)
        fixed (byte* target = narrowed)
        {
            Simd128.StoreBytes(Simd128.Load(source), target);
        }

        var converted = Lanes(Simd128.ConvertToSingle(Vector128.Create(-7, 0, int.MaxValue - 10_000_000, 123_456_789).AsSingle()));
        bool ok = narrowed.SequenceEqual(new byte[] { 255, 0, 97, 128, 0xA5 })
            && converted.SequenceEqual([BitConverter.SingleToInt32Bits(-7f), 0, BitConverter.SingleToInt32Bits(int.MaxValue - 10_000_000), BitConverter.SingleToInt32Bits(123_456_789)]);
        log.Check("store-bytes-and-convert-128", ok, "narrowing writes exactly 4 bytes, int32 → float rounds to nearest");
    }

    /// <summary>Random unsigned bytes against signed bytes within ±63 (the kernels' range) and the range's extremes.</summary>
    private static IEnumerable<(int[] Bytes, int[] Weights, int[] Accumulator)> Cases()
    {
        var random = new Random(7);
        static int Pack(int b0, int b1, int b2, int b3) => (byte)b0 | ((byte)b1 << 8) | ((byte)b2 << 16) | ((byte)b3 << 24);
        for (int c = 0; c < 200; c++)
        {
            yield return (
                [.. Enumerable.Range(0, 4).Select(_ => Pack(random.Next(256), random.Next(256), random.Next(256), random.Next(256)))],
                [.. Enumerable.Range(0, 4).Select(_ => Pack(random.Next(-63, 64), random.Next(-63, 64), random.Next(-63, 64), random.Next(-63, 64)))],
                [.. Enumerable.Range(0, 4).Select(_ => random.Next(-50_000_000, 50_000_000))]);
        }

        yield return ([.. Enumerable.Repeat(Pack(255, 255, 255, 255), 4)], [.. Enumerable.Repeat(Pack(63, 63, -63, -63), 4)], new int[4]);
        yield return ([.. Enumerable.Repeat(Pack(255, 255, 0, 1), 4)], [.. Enumerable.Repeat(Pack(-63, -63, 5, -1), 4)], [.. Enumerable.Repeat(int.MaxValue - 10_000_000, 4)]);
    }

    private static int[] Expected(int[] bytes, int[] weights, int[] accumulator) =>
        [.. bytes.Select((b, i) => accumulator[i] + Enumerable.Range(0, 4).Sum(j => ((b >> (8 * j)) & 0xFF) * (int)(sbyte)(weights[i] >> (8 * j))))];

    private static int[] Lanes(Vector128<float> vector)
    {
        var values = new int[4];
        fixed (int* p = values)
        {
            Simd128.Store(vector, (float*)p);
        }

        return values;
    }

    /// <summary>Each row equals the rule exactly, reaches ±127, pads with q = 0, for 1 and 2 threads (ActivationQuantizerTests).</summary>
    private static void QuantizerFollowsTheRule(CheckLog log)
    {
        int wrong = 0, rowsChecked = 0;
        foreach (int k in new[] { 384, 1536, 37, 20, 1 })
        {
            const int rows = 70;
            var x = Seeded.Normal(k, (long)rows * k, 3);
            foreach (int threads in new[] { 1, 2 })
            {
                var (values, scales) = QuantizeRows(x, rows, k, threads);
                int kp = QuantizedLinear.PadInFeatures(k);
                for (int r = 0; r < rows; r++, rowsChecked++)
                {
                    var (expected, scale) = Int8Rule.Quantize(x.AsSpan(r * k, k));
                    var row = values.AsSpan(r * kp, kp).ToArray().Select(v => v - 128).ToArray();
                    bool same = scale == scales[r] && row[..k].SequenceEqual(expected) && row.Max(Math.Abs) == 127 && row[k..].All(v => v == 0);
                    wrong += same ? 0 : 1;
                }
            }
        }

        log.Check("activation-quantizer-128", wrong == 0, $"{rowsChecked - wrong} of {rowsChecked} rows equal the scalar rule exactly");
    }

    /// <summary>Without GELU the outputs equal the exact integer product's bit for bit; with GELU within 1e-5·(|exact| + rms) of GELU in double.</summary>
    private static void QuantizedLinearIsExact(CheckLog log)
    {
        int[] rowCounts = [1, 5, 6, 7, 13, 31, 64], outputCounts = [40, 37, 96], inputCounts = [384, 37, 2];
        foreach (var epilogue in Enum.GetValues<LinearEpilogue>())
        {
            int cases = 0, wrong = 0;
            string firstWrong = "";
            foreach (int k in inputCounts)
            {
                foreach (int n in outputCounts)
                {
                    var weight = Seeded.Normal(n + k, (long)n * k, 1 / Math.Sqrt(k));
                    var bias = Seeded.Normal(n - k, n, 0.5);
                    var packed = QuantizedLinear.Pack(weight, n, k, bias, VectorWidth.Bits128);
                    foreach (int rows in rowCounts)
                    {
                        var x = Seeded.Normal(rows, (long)rows * k, 2);
                        var prior = Seeded.Normal(rows + 1, (long)rows * n);
                        var expected = Int8Rule.Product(x, rows, k, weight, n, bias, epilogue == LinearEpilogue.AddToOutput, prior);
                        var activated = epilogue == LinearEpilogue.Gelu ? expected.Select(v => DoubleMath.Gelu(v)).ToArray() : null;
                        double rms = activated is null ? 0 : Math.Sqrt(activated.Average(v => v * v));
                        foreach (int threads in new[] { 1, 2 })
                        {
                            var y = RunProduct(packed, x, rows, epilogue, prior, threads);
                            for (int i = 0; i < y.Length; i++)
                            {
                                bool same = activated is not null
                                    ? Math.Abs(y[i] - activated[i]) <= 1e-5 * (Math.Abs(activated[i]) + rms)
                                    : BitConverter.SingleToInt32Bits(y[i]) == BitConverter.SingleToInt32Bits(expected[i]);
                                if (!same && wrong++ == 0)
                                {
                                    firstWrong = $"; first: rows {rows}, K {k}, N {n}, {threads} threads, output {i}: {y[i]:R} vs {activated?[i] ?? expected[i]:R}";
                                }
                            }

                            cases++;
                        }
                    }
                }
            }

            log.Check($"quantized-linear-128 {epilogue}", wrong == 0,
                $"{BytePath}, {cases} cases, {wrong} outputs off {(epilogue == LinearEpilogue.Gelu ? "1e-5 relative of GELU(exact)" : "the exact integer product's bits")}{firstWrong}");
        }
    }

    private static (byte[] Values, float[] Scales) QuantizeRows(float[] x, int rows, int k, int threads)
    {
        using var pool = new IntraOpThreadPool(threads);
        var input = Seeded.Aligned(x);
        var values = new byte[rows * QuantizedLinear.PadInFeatures(k)];
        var scales = new float[rows];
        fixed (byte* q = values)
        fixed (float* s = scales)
        {
            ActivationQuantizer.Quantize<Simd128, Vector128<float>>(input.Pointer, rows, k, q, s, pool);
        }

        return (values, scales);
    }

    private static float[] RunProduct(QuantizedLinear packed, float[] x, int rows, LinearEpilogue epilogue, float[] prior, int threads)
    {
        var (values, scales) = QuantizeRows(x, rows, packed.InFeatures, threads);
        using var pool = new IntraOpThreadPool(threads);
        var output = Seeded.Aligned(epilogue == LinearEpilogue.AddToOutput ? prior : new float[prior.Length]);
        fixed (byte* q = values)
        fixed (float* s = scales)
        {
            packed.Multiply<Simd128, Vector128<float>>(q, s, rows, output.Pointer, epilogue, pool);
        }

        return output.Span.ToArray();
    }
}
