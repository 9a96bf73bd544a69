using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SentenceMtl.Inference.Vectors;

namespace SentenceMtl.Tests.Inference.Kernels;

/// <summary>
/// The integer operations of <see cref="ISimd{TVector}"/> at every width, against scalar arithmetic: the byte
/// multiply-add (and its portable and AVX-VNNI forms, each where it runs), broadcast, conversion and narrowing.
/// </summary>
public sealed unsafe class SimdIntegerTests
{
    [SkippableTheory]
    [MemberData(nameof(KernelWidths.All), MemberType = typeof(KernelWidths))]
    public void Integer_operations_match_scalar_arithmetic(int bits)
    {
        var width = Int8Reference.Require(bits);
        switch (width)
        {
            case VectorWidth.Bits512:
                Check<Simd512, Vector512<float>>();
                break;
            case VectorWidth.Bits256:
                Check<Simd256, Vector256<float>>();
                break;
            default:
                Check<Simd128, Vector128<float>>();
                break;
        }
    }

    /// <summary>The cross-platform form ARM64 runs, here on any machine: the same sums, extremes included.</summary>
    [Fact]
    public void Portable_byte_multiply_add_matches_scalar_arithmetic()
    {
        foreach (var (bytes, weights, accumulator) in Cases(4))
        {
            var result = Simd128.MultiplyAddBytesPortable(Vector128.Create(accumulator).AsSingle(), Vector128.Create(bytes).AsSingle(), Vector128.Create(weights).AsSingle());
            Assert.Equal(Expected(bytes, weights, accumulator), Int32Lanes(result.AsInt32()));
        }
    }

    /// <summary>ARM64's <c>sdot</c> form, which <see cref="Simd128"/> uses where the CPU has the dot-product extension.</summary>
    [SkippableFact]
    public void Arm_dot_product_byte_multiply_add_matches_scalar_arithmetic()
    {
        Skip.IfNot(System.Runtime.Intrinsics.Arm.Dp.IsSupported, "this CPU has no ARM64 dot-product extension (x64 uses pmaddubsw and pmaddwd).");
        foreach (var (bytes, weights, accumulator) in Cases(4))
        {
            var result = Simd128.MultiplyAddBytesDotProduct(Vector128.Create(accumulator).AsSingle(), Vector128.Create(bytes).AsSingle(), Vector128.Create(weights).AsSingle());
            Assert.Equal(Expected(bytes, weights, accumulator), Int32Lanes(result.AsInt32()));
        }
    }

    /// <summary><c>vpdpbusd</c> (AVX-VNNI), which <see cref="Simd256"/> uses where the CPU has it.</summary>
    [SkippableFact]
    public void Avx_vnni_byte_multiply_add_matches_scalar_arithmetic()
    {
        Skip.IfNot(AvxVnni.IsSupported, "this CPU has no AVX-VNNI (Simd256 uses vpmaddubsw, vpmaddwd and an add instead).");
        foreach (var (bytes, weights, accumulator) in Cases(8))
        {
            var result = AvxVnni.MultiplyWideningAndAdd(Vector256.Create(accumulator), Vector256.Create(bytes).AsByte(), Vector256.Create(weights).AsSByte());
            Assert.Equal(Expected(bytes, weights, accumulator), Int32Lanes(result));
        }
    }

    private static void Check<TS, TV>()
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        int n = TS.Count;
        foreach (var (bytes, weights, accumulator) in Cases(n))
        {
            var result = TS.MultiplyAddBytes(FromInts<TS, TV>(accumulator), FromInts<TS, TV>(bytes), FromInts<TS, TV>(weights));
            Assert.Equal(Expected(bytes, weights, accumulator), ToInts<TS, TV>(result));
            var floats = ToFloats<TS, TV>(TS.ConvertToSingle(FromInts<TS, TV>(accumulator)));
            Assert.Equal(accumulator.Select(v => (float)v).ToArray(), floats);
        }

        var broadcast = ToInts<TS, TV>(TS.BroadcastBits(unchecked((int)0x8001_7FFF)));
        Assert.All(broadcast, v => Assert.Equal(unchecked((int)0x8001_7FFF), v));

        var integral = Enumerable.Range(0, n).Select(i => (float)(i * 97 % 256)).ToArray();
        integral[0] = 255;
        var narrowed = new byte[n + 1];
        narrowed[n] = 0xA5;                                                                       // must stay: exactly n bytes are written
        fixed (float* source = integral)
        fixed (byte* target = narrowed)
        {
            TS.StoreBytes(TS.Load(source), target);
        }

        Assert.Equal(integral.Select(v => (byte)v).Append((byte)0xA5).ToArray(), narrowed);
    }

    /// <summary>
    /// Lanes of four bytes: random unsigned bytes against signed bytes within ±63 (the kernels' range), and the
    /// extremes of that range (255 against ±63, every pair at its 16-bit limit of 32,130).
    /// </summary>
    private static IEnumerable<(int[] Bytes, int[] Weights, int[] Accumulator)> Cases(int lanes)
    {
        var random = new Random(7);
        static int Pack(int b0, int b1, int b2, int b3) => (byte)b0 | ((byte)b1 << 8) | ((byte)b2 << 16) | ((byte)b3 << 24);
        for (int c = 0; c < 50; c++)
        {
            yield return (
                [.. Enumerable.Range(0, lanes).Select(_ => Pack(random.Next(256), random.Next(256), random.Next(256), random.Next(256)))],
                [.. Enumerable.Range(0, lanes).Select(_ => Pack(random.Next(-63, 64), random.Next(-63, 64), random.Next(-63, 64), random.Next(-63, 64)))],
                [.. Enumerable.Range(0, lanes).Select(_ => random.Next(-50_000_000, 50_000_000))]);
        }

        yield return ([.. Enumerable.Repeat(Pack(255, 255, 255, 255), lanes)], [.. Enumerable.Repeat(Pack(63, 63, -63, -63), lanes)], new int[lanes]);
        yield return ([.. Enumerable.Repeat(Pack(255, 255, 0, 1), lanes)], [.. Enumerable.Repeat(Pack(-63, -63, 5, -1), lanes)], [.. Enumerable.Repeat(int.MaxValue - 10_000_000, lanes)]);
    }

    private static int[] Expected(int[] bytes, int[] weights, int[] accumulator) =>
        [.. bytes.Select((b, i) => accumulator[i] + Enumerable.Range(0, 4).Sum(j => ((b >> (8 * j)) & 0xFF) * (int)(sbyte)(weights[i] >> (8 * j))))];

    private static int[] Int32Lanes<T>(T vector)
        where T : unmanaged
    {
        var lanes = new int[sizeof(T) / sizeof(int)];
        fixed (int* p = lanes)
        {
            *(T*)p = vector;
        }

        return lanes;
    }

    private static TV FromInts<TS, TV>(int[] values)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        fixed (int* p = values)
        {
            return TS.Load((float*)p);
        }
    }

    private static int[] ToInts<TS, TV>(TV vector)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        var values = new int[TS.Count];
        fixed (int* p = values)
        {
            TS.Store(vector, (float*)p);
        }

        return values;
    }

    private static float[] ToFloats<TS, TV>(TV vector)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        var values = new float[TS.Count];
        fixed (float* p = values)
        {
            TS.Store(vector, p);
        }

        return values;
    }
}
