namespace SentenceMtl.Inference.Vectors;

/// <summary>
/// The vector operations the inference kernels use, for one vector width: float arithmetic, and the few integer
/// operations of the int8 products (on the same registers, their lanes read as integers). The kernels are generic over an
/// implementation (<see cref="Simd512"/>, <see cref="Simd256"/>, <see cref="Simd128"/>) and its vector type; with a
/// struct type argument the JIT compiles one copy of each kernel per width and inlines every call below, so the
/// kernels are written once and run as if written against <c>Vector512&lt;float&gt;</c> (or 256, 128) directly.
/// </summary>
/// <typeparam name="TVector">The vector type: <c>Vector512&lt;float&gt;</c>, <c>Vector256&lt;float&gt;</c> or <c>Vector128&lt;float&gt;</c>.</typeparam>
/// <remarks>
/// Every operation is lane-wise and exact as IEEE single precision defines it (<see cref="MultiplyAdd"/> rounds once),
/// so a lane computes the same value at every width; only <see cref="Sum"/> and <see cref="MaxAcross"/> combine lanes.
/// The integer operations are exact, so they too give the same lanes at every width and on every instruction set.
/// </remarks>
internal unsafe interface ISimd<TVector>
    where TVector : struct
{
    /// <summary>Floats per vector.</summary>
    static abstract int Count { get; }

    /// <summary>The vector width this implementation stands for.</summary>
    static abstract VectorWidth Width { get; }

    /// <summary>All lanes 0.</summary>
    static abstract TVector Zero { get; }

    /// <summary><see cref="Count"/> floats from <paramref name="source"/> (no alignment needed).</summary>
    static abstract TVector Load(float* source);

    /// <summary>Writes the lanes to <paramref name="destination"/>.</summary>
    static abstract void Store(TVector value, float* destination);

    /// <summary><paramref name="value"/> in every lane.</summary>
    static abstract TVector Broadcast(float value);

    /// <summary>a + b.</summary>
    static abstract TVector Add(TVector a, TVector b);

    /// <summary>a − b.</summary>
    static abstract TVector Subtract(TVector a, TVector b);

    /// <summary>a · b.</summary>
    static abstract TVector Multiply(TVector a, TVector b);

    /// <summary>a / b.</summary>
    static abstract TVector Divide(TVector a, TVector b);

    /// <summary>a · b + c, rounded once.</summary>
    static abstract TVector MultiplyAdd(TVector a, TVector b, TVector c);

    /// <summary>The larger of each pair of lanes (either one when a lane is NaN).</summary>
    static abstract TVector Max(TVector a, TVector b);

    /// <summary>The smaller of each pair of lanes (either one when a lane is NaN).</summary>
    static abstract TVector Min(TVector a, TVector b);

    /// <summary>|a|.</summary>
    static abstract TVector Abs(TVector a);

    /// <summary>Each lane rounded to the nearest integer, ties to even.</summary>
    static abstract TVector Round(TVector a);

    /// <summary>Lanes where <paramref name="mask"/> is all ones take <paramref name="ifTrue"/>, the others <paramref name="ifFalse"/>.</summary>
    static abstract TVector Select(TVector mask, TVector ifTrue, TVector ifFalse);

    /// <summary>All ones where a ≥ b, else 0.</summary>
    static abstract TVector GreaterThanOrEqual(TVector a, TVector b);

    /// <summary>All ones where a &gt; b, else 0.</summary>
    static abstract TVector GreaterThan(TVector a, TVector b);

    /// <summary>All ones where a &lt; b, else 0.</summary>
    static abstract TVector LessThan(TVector a, TVector b);

    /// <summary>All ones where the lane is not NaN, else 0.</summary>
    static abstract TVector IsNumber(TVector a);

    /// <summary>All ones in lanes [0, <paramref name="count"/>), 0 in the others (any count; ≤ 0 gives none).</summary>
    static abstract TVector FirstLanes(int count);

    /// <summary>value · 2ⁿ for lanes <paramref name="n"/> holding integers in [−252, 254] (two normal powers of two,
    /// so no intermediate overflows or becomes denormal before the final product).</summary>
    static abstract TVector ScaleByPowerOfTwo(TVector value, TVector n);

    /// <summary>The lanes added up (in an order fixed for the width).</summary>
    static abstract float Sum(TVector a);

    /// <summary>The largest lane.</summary>
    static abstract float MaxAcross(TVector a);

    /// <summary>The 32 bits <paramref name="bits"/> in every 32-bit lane.</summary>
    static abstract TVector BroadcastBits(int bits);

    /// <summary>
    /// Read as 32-bit integer lanes of four bytes each: accumulator + a₀·b₀ + a₁·b₁ + a₂·b₂ + a₃·b₃, where aⱼ are the
    /// lane's bytes in <paramref name="unsignedBytes"/> read as unsigned and bⱼ those in <paramref name="signedBytes"/>
    /// read as signed. Exact while each adjacent pair a₀·b₀ + a₁·b₁ (and a₂·b₂ + a₃·b₃) lies in [−32768, 32767] — true for
    /// a ≤ 255 and |b| ≤ 63 — and the sum within 32 bits.
    /// </summary>
    static abstract TVector MultiplyAddBytes(TVector accumulator, TVector unsignedBytes, TVector signedBytes);

    /// <summary>The 32-bit integer lanes of <paramref name="integers"/> converted to floats (rounded to nearest).</summary>
    static abstract TVector ConvertToSingle(TVector integers);

    /// <summary>Writes the lanes, which hold integers in [0, 255], as <see cref="Count"/> bytes.</summary>
    static abstract void StoreBytes(TVector integral, byte* destination);
}
