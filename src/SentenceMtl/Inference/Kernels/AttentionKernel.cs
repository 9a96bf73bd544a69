using System.Buffers;
using System.Runtime.CompilerServices;
using SentenceMtl.Inference.Vectors;

namespace SentenceMtl.Inference.Kernels;

/// <summary>
/// Multi-head scaled dot-product attention over packed sequences, straight from the fused query/key/value
/// projection: sequences lie back to back as rows of (N, 3·H) with no padding, and the heads are written already
/// merged, (N, H). Each sequence attends to its own rows only, which is what a padding mask does.
/// </summary>
/// <remarks>
/// Each (sequence, head) is one pass: the head's keys are transposed into a scratch block, then four queries at a time
/// get their scores for a vector of keys from broadcast multiply-adds (four independent chains in flight, instead of
/// one accumulator to wait on), a softmax over the sequence's keys (<see cref="SimdMath.Exp{TS, TV}"/>), and their
/// weighted values summed into the output rows. Same values as libtorch's <c>scaled_dot_product_attention</c> with a
/// padding mask, to float rounding.
/// </remarks>
internal static unsafe class AttentionKernel
{
    /// <summary>Queries per pass over a head's keys and values.</summary>
    private const int QueryBlock = 4;

    /// <summary>Attention on raw buffers: <paramref name="qkv"/> holds N rows of 3·H values, <paramref name="y"/> receives N rows of H.</summary>
    /// <param name="qkv">Each row's query, key and value, heads side by side within each.</param>
    /// <param name="y">The merged heads' outputs.</param>
    /// <param name="lengths">The sequences' lengths, in row order, each at least 1; they add up to N.</param>
    /// <param name="heads">Number of heads.</param>
    /// <param name="headSize">Values per head (H / heads).</param>
    /// <param name="pool">The threads to split the (sequence, head) pairs over.</param>
    public static void Run<TS, TV>(float* qkv, float* y, int[] lengths, int heads, int headSize, IntraOpThreadPool pool)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        var offsets = new long[lengths.Length];
        long work = 0;
        for (int s = 0; s < lengths.Length; s++)
        {
            offsets[s] = s == 0 ? 0 : offsets[s - 1] + lengths[s - 1];
            work += 4L * lengths[s] * lengths[s] * heads * headSize;
        }

        int longest = lengths.Length == 0 ? 0 : lengths.Max();
        var job = new Job<TS, TV>(qkv, y, lengths, offsets, longest, heads, headSize);
        pool.For(lengths.Length * heads, work, job.Run);
    }

    private readonly struct Job<TS, TV>(float* qkv, float* y, int[] lengths, long[] offsets, int longest, int heads, int headSize)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        /// <summary>Computes the (sequence, head) items [<paramref name="first"/>, <paramref name="end"/>).</summary>
        public void Run(int first, int end)
        {
            int lanes = TS.Count;
            int widest = (longest + lanes - 1) / lanes * lanes;                                  // keys, rounded up to whole vectors
            int hidden = heads * headSize, stride = 3 * hidden;
            float scale = 1f / MathF.Sqrt(headSize);
            var pool = ArrayPool<float>.Shared;
            float[] keys = pool.Rent(Math.Max(1, headSize * widest)), scores = pool.Rent(Math.Max(1, QueryBlock * widest));
            try
            {
                fixed (float* kt = keys, s = scores)
                {
                    for (int item = first; item < end; item++)
                    {
                        int sequence = item / heads, head = item % heads, length = lengths[sequence];
                        int padded = (length + lanes - 1) / lanes * lanes;
                        long row = offsets[sequence];
                        float* rowBase = qkv + (row * stride) + (head * headSize);
                        float* outputBase = y + (row * hidden) + (head * headSize);
                        Transpose(rowBase + hidden, stride, length, kt, padded);
                        for (int i = 0; i < length; i += QueryBlock)
                        {
                            int last = Math.Min(i + QueryBlock, length) - 1;                        // a short block repeats its last query
                            Scores(new Rows(rowBase, stride, i, last), kt, padded, scale, s);
                            var probabilities = new Rows(s, padded, 0, QueryBlock - 1);
                            var inverses = Softmax(probabilities, length, padded);
                            WeightedValues(probabilities, rowBase + (2 * hidden), stride, length, inverses, new Rows(outputBase, hidden, i, last));
                        }
                    }
                }
            }
            finally
            {
                pool.Return(keys);
                pool.Return(scores);
            }
        }

        /// <summary>The head's keys as columns, (head_size, padded); the columns past the sequence repeat its last key
        /// (their scores are masked in <see cref="Softmax"/>).</summary>
        private void Transpose(float* k, int stride, int length, float* kt, int padded)
        {
            int size = headSize;
            for (int d = 0; d < size; d++)                                                       // one row of kt at a time: its stores are contiguous
            {
                float* column = kt + ((long)d * padded), key = k + d;
                int j = 0;
                for (; j < length; j++, key += stride)
                {
                    column[j] = *key;
                }

                for (float last = column[length - 1]; j < padded; j++)
                {
                    column[j] = last;
                }
            }
        }

        /// <summary>Scaled scores of four queries against the keys, into the rows of <paramref name="s"/> (each
        /// <paramref name="padded"/> long).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Scores(Rows q, float* kt, int padded, float scale, float* s)
        {
            var factor = TS.Broadcast(scale);
            for (int j = 0; j < padded; j += TS.Count)
            {
                TV a0 = TS.Zero, a1 = TS.Zero, a2 = TS.Zero, a3 = TS.Zero;
                float* column = kt + j;
                for (int d = 0; d < headSize; d++, column += padded)
                {
                    var k = TS.Load(column);
                    a0 = TS.MultiplyAdd(TS.Broadcast(q.R0[d]), k, a0);
                    a1 = TS.MultiplyAdd(TS.Broadcast(q.R1[d]), k, a1);
                    a2 = TS.MultiplyAdd(TS.Broadcast(q.R2[d]), k, a2);
                    a3 = TS.MultiplyAdd(TS.Broadcast(q.R3[d]), k, a3);
                }

                TS.Store(TS.Multiply(a0, factor), s + j);
                TS.Store(TS.Multiply(a1, factor), s + padded + j);
                TS.Store(TS.Multiply(a2, factor), s + (2 * padded) + j);
                TS.Store(TS.Multiply(a3, factor), s + (3 * padded) + j);
            }
        }

        /// <summary>Replaces four rows of scores by e^(score − row max) over the sequence's <paramref name="length"/> keys
        /// and 0 past them; returns 1 / each row's sum. The rows go side by side, so their reductions overlap.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static (float, float, float, float) Softmax(Rows s, int length, int padded)
        {
            var max0 = TS.Broadcast(float.NegativeInfinity);
            TV max1 = max0, max2 = max0, max3 = max0;
            for (int j = 0; j < padded; j += TS.Count)
            {
                var keep = TS.FirstLanes(length - j);
                max0 = TS.Max(max0, Masked(s.R0 + j, keep));
                max1 = TS.Max(max1, Masked(s.R1 + j, keep));
                max2 = TS.Max(max2, Masked(s.R2 + j, keep));
                max3 = TS.Max(max3, Masked(s.R3 + j, keep));
            }

            var m0 = TS.Broadcast(TS.MaxAcross(max0));
            var m1 = TS.Broadcast(TS.MaxAcross(max1));
            var m2 = TS.Broadcast(TS.MaxAcross(max2));
            var m3 = TS.Broadcast(TS.MaxAcross(max3));
            TV sum0 = TS.Zero, sum1 = TS.Zero, sum2 = TS.Zero, sum3 = TS.Zero;
            for (int j = 0; j < padded; j += TS.Count)
            {
                var keep = TS.FirstLanes(length - j);
                sum0 = TS.Add(sum0, Exponentiate(s.R0 + j, keep, m0));
                sum1 = TS.Add(sum1, Exponentiate(s.R1 + j, keep, m1));
                sum2 = TS.Add(sum2, Exponentiate(s.R2 + j, keep, m2));
                sum3 = TS.Add(sum3, Exponentiate(s.R3 + j, keep, m3));
            }

            return (1f / TS.Sum(sum0), 1f / TS.Sum(sum1), 1f / TS.Sum(sum2), 1f / TS.Sum(sum3));
        }

        /// <summary>The scores at <paramref name="s"/>, −∞ where <paramref name="keep"/> is clear.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static TV Masked(float* s, TV keep) => TS.Select(keep, TS.Load(s), TS.Broadcast(float.NegativeInfinity));

        /// <summary>Stores e^(score − max) over the scores at <paramref name="s"/> (0 where <paramref name="keep"/> is clear) and returns them.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static TV Exponentiate(float* s, TV keep, TV max)
        {
            var e = SimdMath.Exp<TS, TV>(TS.Subtract(Masked(s, keep), max));                     // e^(−∞) = 0
            TS.Store(e, s);
            return e;
        }

        /// <summary>output_r = inverse_r · Σⱼ p_r[j] · v[j] for the four rows, one pass over the sequence's values for all
        /// four; head sizes off the vector width end in scalars.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void WeightedValues(Rows p, float* v, int stride, int length, (float, float, float, float) inverses, Rows output)
        {
            int d = 0;
            for (; d + TS.Count <= headSize; d += TS.Count)
            {
                TV a0 = TS.Zero, a1 = TS.Zero, a2 = TS.Zero, a3 = TS.Zero;
                float* value = v + d;
                for (int j = 0; j < length; j++, value += stride)
                {
                    var x = TS.Load(value);
                    a0 = TS.MultiplyAdd(TS.Broadcast(p.R0[j]), x, a0);
                    a1 = TS.MultiplyAdd(TS.Broadcast(p.R1[j]), x, a1);
                    a2 = TS.MultiplyAdd(TS.Broadcast(p.R2[j]), x, a2);
                    a3 = TS.MultiplyAdd(TS.Broadcast(p.R3[j]), x, a3);
                }

                TS.Store(TS.Multiply(a0, TS.Broadcast(inverses.Item1)), output.R0 + d);
                TS.Store(TS.Multiply(a1, TS.Broadcast(inverses.Item2)), output.R1 + d);
                TS.Store(TS.Multiply(a2, TS.Broadcast(inverses.Item3)), output.R2 + d);
                TS.Store(TS.Multiply(a3, TS.Broadcast(inverses.Item4)), output.R3 + d);
            }

            for (; d < headSize; d++)
            {
                float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f;
                float* value = v + d;
                for (int j = 0; j < length; j++, value += stride)
                {
                    a0 = MathF.FusedMultiplyAdd(p.R0[j], *value, a0);
                    a1 = MathF.FusedMultiplyAdd(p.R1[j], *value, a1);
                    a2 = MathF.FusedMultiplyAdd(p.R2[j], *value, a2);
                    a3 = MathF.FusedMultiplyAdd(p.R3[j], *value, a3);
                }

                output.R0[d] = a0 * inverses.Item1;
                output.R1[d] = a1 * inverses.Item2;
                output.R2[d] = a2 * inverses.Item3;
                output.R3[d] = a3 * inverses.Item4;
            }
        }
    }

    /// <summary>Four rows [first, first + 4) of a buffer with <paramref name="stride"/> floats per row; rows past
    /// <paramref name="last"/> repeat it, so a short block computes (and stores) its last row again.</summary>
    private readonly struct Rows(float* start, long stride, int first, int last)
    {
        public readonly float* R0 = start + (first * stride);
        public readonly float* R1 = start + (Math.Min(first + 1, last) * stride);
        public readonly float* R2 = start + (Math.Min(first + 2, last) * stride);
        public readonly float* R3 = start + (Math.Min(first + 3, last) * stride);
    }
}
