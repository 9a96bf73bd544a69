using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SentenceMtl.Search;

/// <summary>Int8 queries against int8 corpus rows: the integer inner product of the codes (exact, as int).</summary>
internal readonly struct Int8Scorer(sbyte[][] queries, sbyte[][] corpus) : IBlockScorer
{
    /// <inheritdoc/>
    public void Score(int queryStart, int queryCount, int corpusStart, int corpusCount, Span<float> scores)
    {
        for (int q = 0; q < queryCount; q++)
        {
            for (int c = 0; c < corpusCount; c++)
            {
                scores[(q * corpusCount) + c] = Dot(queries[queryStart + q], corpus[corpusStart + c]);
            }
        }
    }

    /// <summary>
    /// Σ x·y in 32-bit integers, exact on every path: codes widen to 16 bits (a product of two codes fits:
    /// |x·y| ≤ 16,384), then AVX2 multiplies and adds adjacent pairs into 32 bits in one instruction, or, without it,
    /// products widen to 32 bits.
    /// </summary>
    public static int Dot(sbyte[] x, sbyte[] y)
    {
        ref sbyte rx = ref MemoryMarshal.GetArrayDataReference(x);
        ref sbyte ry = ref MemoryMarshal.GetArrayDataReference(y);
        int n = x.Length, i = 0, sum = 0;
        if (Avx2.IsSupported)
        {
            var pairs = Vector256<int>.Zero;
            for (; i <= n - Vector128<sbyte>.Count; i += Vector128<sbyte>.Count)
            {
                var wx = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref rx, (nuint)i));
                var wy = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref ry, (nuint)i));
                pairs = Avx2.Add(pairs, Avx2.MultiplyAddAdjacent(wx, wy));
            }

            sum = Vector256.Sum(pairs);
        }

        var acc = Vector<int>.Zero;
        for (; i <= n - Vector<sbyte>.Count; i += Vector<sbyte>.Count)
        {
            Vector.Widen(Vector.LoadUnsafe(ref rx, (nuint)i), out var xl, out var xh);
            Vector.Widen(Vector.LoadUnsafe(ref ry, (nuint)i), out var yl, out var yh);
            Vector.Widen(xl * yl, out var p0, out var p1);
            Vector.Widen(xh * yh, out var p2, out var p3);
            acc += p0 + p1 + p2 + p3;
        }

        sum += Vector.Sum(acc);
        for (; i < n; i++)
        {
            sum += x[i] * y[i];
        }

        return sum;
    }
}

/// <summary>Packed binary queries against packed corpus rows: the negated Hamming distance.</summary>
internal readonly struct BinaryScorer(byte[][] queries, byte[][] corpus) : IBlockScorer
{
    /// <inheritdoc/>
    public void Score(int queryStart, int queryCount, int corpusStart, int corpusCount, Span<float> scores)
    {
        for (int q = 0; q < queryCount; q++)
        {
            for (int c = 0; c < corpusCount; c++)
            {
                scores[(q * corpusCount) + c] = -BinaryQuantization.Hamming(queries[queryStart + q], corpus[corpusStart + c]);
            }
        }
    }
}
