using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SentenceMtl.Search;

/// <summary>
/// Pairwise scores of float embeddings. Dot products run in tiles of 2 × 4 rows: each loaded vector of a row feeds
/// several fused multiply-adds, where one dot product per pair loads two vectors per multiply-add.
/// </summary>
/// <remarks>
/// Every dot product, in a tile or alone (<see cref="Dot"/>), accumulates the same way: one vector accumulator over
/// the leading whole vectors with fused multiply-adds, its lanes summed by <see cref="Vector.Sum{T}(Vector{T})"/>, then
/// the tail with scalar fused multiply-adds. So a pair scores the same bits wherever it falls in a tile, and
/// <c>Dot(x, y) == Dot(y, x)</c> exactly (a multiply-add does not depend on the order of its factors), which
/// paraphrase mining relies on. Cosine divides by the product of the two norms (commutative too); a zero norm gives 0.
/// Finite vectors can still overflow float: values near 1e20 square past float's range. A score, dot or norm that is
/// not finite is then computed again in double (<see cref="Exact"/>), where no product of two floats overflows, so
/// cosine stays in [-1, 1] and the other functions saturate at ±<see cref="float.MaxValue"/> instead of giving NaN or
/// infinity; inputs that do not overflow keep their float bits.
/// The loops are written here rather than taken from <c>TensorPrimitives</c>, whose reductions may start at a vector
/// boundary of the first argument's address: the same pair could then round differently with the arguments swapped or
/// after the garbage collector moves an array.
/// </remarks>
internal static class ScoreKernel
{
    /// <summary>The score of one pair under <paramref name="function"/>, given the rows' norms (used by cosine only).</summary>
    public static float Pair(SimilarityFunction function, float[] x, float[] y, float xNorm, float yNorm) => function switch
    {
        SimilarityFunction.Cosine => Cosine(x, y, Dot(x, y), xNorm, yNorm),
        _ => Finished(function, x, y, function switch
        {
            SimilarityFunction.DotProduct => Dot(x, y),
            SimilarityFunction.Euclidean => -MathF.Sqrt(SquaredDistance(x, y)),
            _ => -Manhattan(x, y),
        }),
    };

    /// <summary><paramref name="score"/> when finite, else the pair's score computed in double (see the remarks).</summary>
    public static float Finished(SimilarityFunction function, float[] x, float[] y, float score) =>
        float.IsFinite(score) ? score : Exact(function, x, y);

    /// <summary>The Euclidean norm of every row (for cosine), else null.</summary>
    public static float[]? Norms(SimilarityFunction function, float[][] rows) =>
        function == SimilarityFunction.Cosine ? Array.ConvertAll(rows, Norm) : null;

    /// <summary>The Euclidean norm, √(x · x) with <see cref="Dot"/>.</summary>
    public static float Norm(float[] x) => MathF.Sqrt(Dot(x, x));

    /// <summary>
    /// The cosine of <paramref name="x"/> and <paramref name="y"/> from their dot product and norms; 0 when either
    /// vector is zero; in double when any of the three (or their product) overflowed.
    /// </summary>
    public static float Cosine(float[] x, float[] y, float dot, float xNorm, float yNorm)
    {
        float denominator = xNorm * yNorm;
        return float.IsFinite(dot) && float.IsFinite(denominator)
            ? denominator > 0f ? dot / denominator : 0f
            : Exact(SimilarityFunction.Cosine, x, y);
    }

    /// <summary>
    /// The pair's score accumulated in double (a product of two floats is below 1.2e77, far inside double's range),
    /// then brought back to float: cosine is in [-1, 1]; other scores beyond float's range saturate at ±float.MaxValue.
    /// </summary>
    public static float Exact(SimilarityFunction function, float[] x, float[] y)
    {
        double dot = 0, xx = 0, yy = 0, squares = 0, absolute = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double a = x[i], b = y[i], d = a - b;
            dot += a * b;
            xx += a * a;
            yy += b * b;
            squares += d * d;
            absolute += Math.Abs(d);
        }

        double score = function switch
        {
            SimilarityFunction.Cosine => xx > 0 && yy > 0 ? Math.Clamp(dot / (Math.Sqrt(xx) * Math.Sqrt(yy)), -1, 1) : 0,
            SimilarityFunction.DotProduct => dot,
            SimilarityFunction.Euclidean => -Math.Sqrt(squares),
            _ => -absolute,
        };
        return (float)Math.Clamp(score, float.MinValue, float.MaxValue);
    }

    /// <summary>x · y, accumulated as the remarks describe.</summary>
    public static float Dot(float[] x, float[] y)
    {
        ref float rx = ref MemoryMarshal.GetArrayDataReference(x);
        ref float ry = ref MemoryMarshal.GetArrayDataReference(y);
        int n = x.Length, i = 0;
        var acc = Vector<float>.Zero;
        for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
        {
            acc = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref rx, (nuint)i), Vector.LoadUnsafe(ref ry, (nuint)i), acc);
        }

        float sum = Vector.Sum(acc);
        for (; i < n; i++)
        {
            sum = MathF.FusedMultiplyAdd(x[i], y[i], sum);
        }

        return sum;
    }

    /// <summary>Σ (x − y)², accumulated as <see cref="Dot"/> (a difference and its negation square to the same bits).</summary>
    public static float SquaredDistance(float[] x, float[] y)
    {
        ref float rx = ref MemoryMarshal.GetArrayDataReference(x);
        ref float ry = ref MemoryMarshal.GetArrayDataReference(y);
        int n = x.Length, i = 0;
        var acc = Vector<float>.Zero;
        for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
        {
            var d = Vector.LoadUnsafe(ref rx, (nuint)i) - Vector.LoadUnsafe(ref ry, (nuint)i);
            acc = Vector.FusedMultiplyAdd(d, d, acc);
        }

        float sum = Vector.Sum(acc);
        for (; i < n; i++)
        {
            float d = x[i] - y[i];
            sum = MathF.FusedMultiplyAdd(d, d, sum);
        }

        return sum;
    }

    /// <summary>Σ |x − y|.</summary>
    public static float Manhattan(float[] x, float[] y)
    {
        ref float rx = ref MemoryMarshal.GetArrayDataReference(x);
        ref float ry = ref MemoryMarshal.GetArrayDataReference(y);
        int n = x.Length, i = 0;
        var acc = Vector<float>.Zero;
        for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
        {
            acc += Vector.Abs(Vector.LoadUnsafe(ref rx, (nuint)i) - Vector.LoadUnsafe(ref ry, (nuint)i));
        }

        float sum = Vector.Sum(acc);
        for (; i < n; i++)
        {
            sum += MathF.Abs(x[i] - y[i]);
        }

        return sum;
    }

    /// <summary>
    /// The dot products of queries q0, q1 with corpus rows c0..c3 into <paramref name="s"/>[0..8)
    /// (q0·c0, q0·c1, q0·c2, q0·c3, q1·c0, …), each bit-identical to <see cref="Dot"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotTile(float[] q0, float[] q1, float[] c0, float[] c1, float[] c2, float[] c3, Span<float> s)
    {
        ref float a0 = ref MemoryMarshal.GetArrayDataReference(q0);
        ref float a1 = ref MemoryMarshal.GetArrayDataReference(q1);
        ref float b0 = ref MemoryMarshal.GetArrayDataReference(c0);
        ref float b1 = ref MemoryMarshal.GetArrayDataReference(c1);
        ref float b2 = ref MemoryMarshal.GetArrayDataReference(c2);
        ref float b3 = ref MemoryMarshal.GetArrayDataReference(c3);
        Vector<float> s00 = default, s01 = default, s02 = default, s03 = default;
        Vector<float> s10 = default, s11 = default, s12 = default, s13 = default;
        int n = q0.Length, i = 0;
        for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
        {
            var x0 = Vector.LoadUnsafe(ref a0, (nuint)i);
            var x1 = Vector.LoadUnsafe(ref a1, (nuint)i);
            var y = Vector.LoadUnsafe(ref b0, (nuint)i);
            s00 = Vector.FusedMultiplyAdd(x0, y, s00);
            s10 = Vector.FusedMultiplyAdd(x1, y, s10);
            y = Vector.LoadUnsafe(ref b1, (nuint)i);
            s01 = Vector.FusedMultiplyAdd(x0, y, s01);
            s11 = Vector.FusedMultiplyAdd(x1, y, s11);
            y = Vector.LoadUnsafe(ref b2, (nuint)i);
            s02 = Vector.FusedMultiplyAdd(x0, y, s02);
            s12 = Vector.FusedMultiplyAdd(x1, y, s12);
            y = Vector.LoadUnsafe(ref b3, (nuint)i);
            s03 = Vector.FusedMultiplyAdd(x0, y, s03);
            s13 = Vector.FusedMultiplyAdd(x1, y, s13);
        }

        s[0] = Tail(q0, c0, i, Vector.Sum(s00));
        s[1] = Tail(q0, c1, i, Vector.Sum(s01));
        s[2] = Tail(q0, c2, i, Vector.Sum(s02));
        s[3] = Tail(q0, c3, i, Vector.Sum(s03));
        s[4] = Tail(q1, c0, i, Vector.Sum(s10));
        s[5] = Tail(q1, c1, i, Vector.Sum(s11));
        s[6] = Tail(q1, c2, i, Vector.Sum(s12));
        s[7] = Tail(q1, c3, i, Vector.Sum(s13));
    }

    private static float Tail(float[] x, float[] y, int from, float sum)
    {
        for (int i = from; i < x.Length; i++)
        {
            sum = MathF.FusedMultiplyAdd(x[i], y[i], sum);
        }

        return sum;
    }
}
