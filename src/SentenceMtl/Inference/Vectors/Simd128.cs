using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace SentenceMtl.Inference.Vectors;

/// <summary><see cref="ISimd{TVector}"/> on <see cref="Vector128{T}"/>: 4 floats (SSE + FMA on x64, AdvSimd on ARM64).</summary>
internal readonly unsafe struct Simd128 : ISimd<Vector128<float>>
{
    public static int Count => Vector128<float>.Count;

    public static VectorWidth Width => VectorWidth.Bits128;

    public static Vector128<float> Zero => Vector128<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(float* source) => Vector128.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<float> value, float* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Broadcast(float value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Divide(Vector128<float> a, Vector128<float> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) => Vector128.MaxNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Min(Vector128<float> a, Vector128<float> b) => Vector128.MinNative(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Abs(Vector128<float> a) => Vector128.Abs(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Round(Vector128<float> a) => Vector128.Round(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Select(Vector128<float> mask, Vector128<float> ifTrue, Vector128<float> ifFalse) =>
        Vector128.ConditionalSelect(mask, ifTrue, ifFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> GreaterThanOrEqual(Vector128<float> a, Vector128<float> b) => Vector128.GreaterThanOrEqual(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> GreaterThan(Vector128<float> a, Vector128<float> b) => Vector128.GreaterThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> LessThan(Vector128<float> a, Vector128<float> b) => Vector128.LessThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> IsNumber(Vector128<float> a) => Vector128.Equals(a, a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> FirstLanes(int count) =>
        Vector128.LessThan(Vector128<int>.Indices, Vector128.Create(count)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ScaleByPowerOfTwo(Vector128<float> value, Vector128<float> n)
    {
        var exponent = Vector128.ConvertToInt32(n);
        var half = Vector128.ShiftRightArithmetic(exponent, 1);                                  // 2ⁿ = 2^half · 2^(n − half)
        return value * ((half + Vector128.Create(127)) << 23).AsSingle() * ((exponent - half + Vector128.Create(127)) << 23).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector128<float> a) => Vector128.Sum(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vector128<float> a) => MathF.Max(MathF.Max(a[0], a[1]), MathF.Max(a[2], a[3]));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> BroadcastBits(int bits) => Vector128.Create(bits).AsSingle();

    /// <remarks><c>pmaddubsw</c>, <c>pmaddwd</c> by ones and an add on x64; on ARM64 with the dot-product extension
    /// <see cref="MultiplyAddBytesDotProduct"/>; elsewhere <see cref="MultiplyAddBytesPortable"/>.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MultiplyAddBytes(Vector128<float> accumulator, Vector128<float> unsignedBytes, Vector128<float> signedBytes)
    {
        if (Dp.IsSupported)
        {
            return MultiplyAddBytesDotProduct(accumulator, unsignedBytes, signedBytes);
        }

        if (!Ssse3.IsSupported)
        {
            return MultiplyAddBytesPortable(accumulator, unsignedBytes, signedBytes);
        }

        var pairs = Ssse3.MultiplyAddAdjacent(unsignedBytes.AsByte(), signedBytes.AsSByte());
        return (accumulator.AsInt32() + Sse2.MultiplyAddAdjacent(pairs, Vector128.Create((short)1))).AsSingle();
    }

    /// <summary>
    /// <see cref="MultiplyAddBytes"/> with ARM64's signed dot product (<c>sdot</c>), which multiplies signed bytes by
    /// signed bytes: with a = s + 128 (s the byte with its top bit flipped, read as signed), Σ a·b = Σ s·b − Σ (−128)·b,
    /// two exact dot products.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> MultiplyAddBytesDotProduct(Vector128<float> accumulator, Vector128<float> unsignedBytes, Vector128<float> signedBytes)
    {
        var centred = (unsignedBytes.AsByte() ^ Vector128.Create((byte)0x80)).AsSByte();
        var sum = Dp.DotProduct(accumulator.AsInt32(), centred, signedBytes.AsSByte());
        return (sum - Dp.DotProduct(Vector128<int>.Zero, Vector128.Create((sbyte)-128), signedBytes.AsSByte())).AsSingle();
    }

    /// <summary><see cref="MultiplyAddBytes"/> in cross-platform operations only: each lane's bytes are separated by
    /// shifts (logical and masked for the unsigned ones, left then arithmetic right for the signed ones, which keeps
    /// their sign) and multiplied as 32-bit integers, so the sum is exact without any bound on the pairs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> MultiplyAddBytesPortable(Vector128<float> accumulator, Vector128<float> unsignedBytes, Vector128<float> signedBytes)
    {
        Vector128<int> a = unsignedBytes.AsInt32(), b = signedBytes.AsInt32(), low = Vector128.Create(0xFF);
        var sum = accumulator.AsInt32() + ((a & low) * Vector128.ShiftRightArithmetic(b << 24, 24));
        sum += (Vector128.ShiftRightLogical(a, 8) & low) * Vector128.ShiftRightArithmetic(b << 16, 24);
        sum += (Vector128.ShiftRightLogical(a, 16) & low) * Vector128.ShiftRightArithmetic(b << 8, 24);
        sum += Vector128.ShiftRightLogical(a, 24) * Vector128.ShiftRightArithmetic(b, 24);
        return sum.AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ConvertToSingle(Vector128<float> integers) => Vector128.ConvertToSingle(integers.AsInt32());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreBytes(Vector128<float> integral, byte* destination)
    {
        var integers = Vector128.ConvertToInt32(integral);
        var shorts = Vector128.Narrow(integers, integers);
        *(int*)destination = Vector128.Narrow(shorts, shorts).AsInt32().ToScalar();
    }
}
