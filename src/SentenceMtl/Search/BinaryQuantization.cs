using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SentenceMtl.Search;

namespace SentenceMtl;

/// <summary>
/// Binary embeddings, as sentence-transformers' <c>quantize_embeddings(precision="ubinary")</c>: one bit per dimension,
/// set when the value is above 0, packed eight to a byte with the first dimension in the most significant bit
/// (numpy's <c>packbits</c>); the last byte is padded with zero bits.
/// </summary>
public static class BinaryQuantization
{
    /// <summary>Bytes per packed embedding of <paramref name="dimension"/> values: ⌈dimension / 8⌉.</summary>
    /// <param name="dimension">Values per embedding, at least 1.</param>
    /// <returns>The packed length.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dimension"/> is below 1.</exception>
    public static int PackedLength(int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        return (int)(((long)dimension + 7) / 8);
    }

    /// <summary>The packed bits of every embedding, row for row.</summary>
    /// <param name="embeddings">Embeddings of one dimension, finite.</param>
    /// <returns>One array of <see cref="PackedLength"/> bytes per embedding.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="embeddings"/> is null.</exception>
    /// <exception cref="ArgumentException">A row is null, empty, not finite or of another dimension.</exception>
    public static byte[][] Quantize(float[][] embeddings)
    {
        EmbeddingChecks.Dimension(embeddings, nameof(embeddings));
        return Array.ConvertAll(embeddings, Pack);
    }

    /// <summary>The number of differing bits of two packed embeddings.</summary>
    /// <param name="a">Packed bits.</param>
    /// <param name="b">Packed bits of the same length.</param>
    /// <returns>The Hamming distance.</returns>
    /// <exception cref="ArgumentNullException">An array is null.</exception>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static int HammingDistance(byte[] a, byte[] b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"a has {a.Length} bytes and b {b.Length}: compare embeddings packed from one dimension.", nameof(b));
        }

        return Hamming(a, b);
    }

    /// <summary>Hamming distance of equal-length arrays, eight bytes at a time with <see cref="BitOperations.PopCount(ulong)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Hamming(byte[] a, byte[] b)
    {
        ref byte ra = ref MemoryMarshal.GetArrayDataReference(a);
        ref byte rb = ref MemoryMarshal.GetArrayDataReference(b);
        int distance = 0, i = 0;
        for (; i <= a.Length - sizeof(ulong); i += sizeof(ulong))
        {
            ulong x = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref ra, i)) ^ Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref rb, i));
            distance += BitOperations.PopCount(x);
        }

        for (; i < a.Length; i++)
        {
            distance += BitOperations.PopCount((uint)(a[i] ^ b[i]));
        }

        return distance;
    }

    /// <summary>
    /// Σ query[d] over the set bits d of <paramref name="packed"/>: the dot product with the bits unpacked to 0/1, in
    /// dimension order. Branch-free (a clear bit adds a zero), since the bits of an embedding are unpredictable.
    /// </summary>
    internal static float DotWithBits(float[] query, byte[] packed)
    {
        float sum = 0f;
        double exact = 0;
        for (int d = 0; d < query.Length; d++)
        {
            int bit = (packed[d >> 3] >> (7 - (d & 7))) & 1;
            sum += bit * query[d];
            exact += bit * (double)query[d];
        }

        // Huge finite values can sum past float's range: the double sum, saturated, instead of infinity or NaN.
        return float.IsFinite(sum) ? sum : (float)Math.Clamp(exact, float.MinValue, float.MaxValue);
    }

    /// <summary>One row's packed bits (checked by the caller).</summary>
    private static byte[] Pack(float[] row)
    {
        var packed = new byte[(row.Length + 7) / 8];
        for (int d = 0; d < row.Length; d++)
        {
            if (row[d] > 0f)
            {
                packed[d >> 3] |= (byte)(0x80 >> (d & 7));
            }
        }

        return packed;
    }
}
