using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SentenceMtl.Inference.Vectors;

namespace SentenceMtl.Tests.Inference.Kernels;

/// <summary>
/// The integer operations of <see cref="ISimd{TVector}"/> at every width, against scalar arithmetic: widening, the
/// pairwise multiply-add (and its portable and AVX-VNNI forms, each where it runs), conversion and narrowing.
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

    /// <summary>The cross-platform form ARM64 runs, here on any machine: the same sums as <c>pmaddwd</c>, extremes included.</summary>
    [Fact]
    public void Portable_pairwise_multiply_add_matches_scalar_arithmetic()
    {
        foreach (var (pairs, weights, accumulator) in Cases(4))
        {
            var result = Simd128.MultiplyAddPairsPortable(Vector128.Create(accumulator).AsSingle(), Vector128.Create(pairs).AsSingle(), Vector128.Create(weights).AsSingle());
            Assert.Equal(Expected(pairs, weights, accumulator), Int32Lanes(result.AsInt32()));
        }
    }

    /// <summary><c>vpdpwssd</c> (AVX-VNNI), which <see cref="Simd256"/> uses where the CPU has it.</summary>
    [SkippableFact]
    public void Avx_vnni_pairwise_multiply_add_matches_scalar_arithmetic()
    {
        Skip.IfNot(AvxVnni.IsSupported, "this CPU has no AVX-VNNI (Simd256 uses vpmaddwd and an add instead).");
        foreach (var (pairs, weights, accumulator) in Cases(8))
        {
            var result = AvxVnni.MultiplyWideningAndAdd(Vector256.Create(accumulator), Vector256.Create(pairs).AsInt16(), Vector256.Create(weights).AsInt16());
            Assert.Equal(Expected(pairs, weights, accumulator), Int32Lanes(result));
        }
    }

    private static void Check<TS, TV>()
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        int n = TS.Count;
        var bytes = new sbyte[2 * n];
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (sbyte)((i * 37 % 255) - 127);
        }

        var widened = new float[n];
        fixed (sbyte* b = bytes)
        fixed (float* w = widened)
        {
            TS.Store(TS.LoadWidened(b), w);
        }

        var halves = MemoryMarshalShorts(widened);
        Assert.Equal(bytes.Select(v => (short)v).ToArray(), halves);

        foreach (var (pairs, weights, accumulator) in Cases(n))
        {
            var result = TS.MultiplyAddPairs(FromInts<TS, TV>(accumulator), FromInts<TS, TV>(pairs), FromInts<TS, TV>(weights));
            Assert.Equal(Expected(pairs, weights, accumulator), ToInts<TS, TV>(result));
            var floats = ToFloats<TS, TV>(TS.ConvertToSingle(FromInts<TS, TV>(accumulator)));
            Assert.Equal(accumulator.Select(v => (float)v).ToArray(), floats);
        }

        var broadcast = ToInts<TS, TV>(TS.BroadcastBits(unchecked((int)0x8001_7FFF)));
        Assert.All(broadcast, v => Assert.Equal(unchecked((int)0x8001_7FFF), v));

        var integral = Enumerable.Range(0, n).Select(i => (float)((i * 4099 % 65535) - 32767)).ToArray();
        var narrowed = new short[n];
        fixed (float* source = integral)
        fixed (short* target = narrowed)
        {
            TS.StoreInt16(TS.Load(source), target);
        }

        Assert.Equal(integral.Select(v => (short)v).ToArray(), narrowed);
    }

    /// <summary>Lanes of 16-bit pairs: random values in [−127, 127] (the kernels' range) and the extremes ±32767 that still fit.</summary>
    private static IEnumerable<(int[] Pairs, int[] Weights, int[] Accumulator)> Cases(int lanes)
    {
        var random = new Random(7);
        int Pair(int low, int high) => (ushort)(short)low | (high << 16);
        for (int c = 0; c < 50; c++)
        {
            yield return (
                [.. Enumerable.Range(0, lanes).Select(_ => Pair(random.Next(-127, 128), random.Next(-127, 128)))],
                [.. Enumerable.Range(0, lanes).Select(_ => Pair(random.Next(-127, 128), random.Next(-127, 128)))],
                [.. Enumerable.Range(0, lanes).Select(_ => random.Next(-50_000_000, 50_000_000))]);
        }

        yield return ([.. Enumerable.Repeat(Pair(32767, -32767), lanes)], [.. Enumerable.Repeat(Pair(32767, 32767), lanes)], new int[lanes]);
        yield return ([.. Enumerable.Repeat(Pair(-32767, -1), lanes)], [.. Enumerable.Repeat(Pair(-32767, 1), lanes)], new int[lanes]);
    }

    private static int[] Expected(int[] pairs, int[] weights, int[] accumulator) =>
        [.. pairs.Select((p, i) => accumulator[i] + ((short)p * (short)weights[i]) + ((p >> 16) * (weights[i] >> 16)))];

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

    private static short[] MemoryMarshalShorts(float[] values) =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<float, short>(values).ToArray();
}
