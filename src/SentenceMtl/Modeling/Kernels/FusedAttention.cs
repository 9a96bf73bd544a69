using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace SentenceMtl.Modeling.Kernels;

/// <summary>
/// Multi-head scaled dot-product attention for inference on the CPU over packed sequences, straight from the fused
/// query/key/value projection: sequences lie back to back as rows of (N, 3·H) with no padding, and the heads are
/// written already merged, (N, H). Each sequence attends to its own rows only, which is what a padding mask does.
/// </summary>
/// <remarks>
/// libtorch's CPU <c>scaled_dot_product_attention</c> runs two small matrix products per batch row and head through
/// MKL; with a dozen tokens per sentence that fixed cost per call is most of the attention's time (measured: about as
/// long as all four linear layers of the layer together, one thread, batches of 32 sentences). Here each (sequence, head)
/// is one pass: the head's keys are transposed into a scratch block, then four queries at a time get their scores for 16
/// keys per vector from broadcast multiply-adds, a vectorized softmax (<see cref="VectorMath.Exp"/>), and their weighted
/// values summed into the output rows. Four queries side by side keep four independent multiply-add chains in flight:
/// one query at a time waited on a single accumulator, and attention took 8 % of a short-sentence forward pass for 0.5 %
/// of its arithmetic. Same values as libtorch to float rounding (≈ 1e-6).
/// </remarks>
internal static unsafe class FusedAttention
{
    private const int Lanes = 16;

    /// <summary>Queries per pass over a head's keys and values.</summary>
    private const int QueryBlock = 4;

    /// <summary>Whether the kernel handles this operand: float32 CPU (N, 3·H) with H a multiple of <paramref name="heads"/>.</summary>
    /// <param name="qkv">The fused projection's output.</param>
    /// <param name="heads">Number of heads.</param>
    public static bool CanRun(Tensor qkv, int heads) =>
        Avx2.IsSupported && Vector512.IsHardwareAccelerated && qkv.dim() == 2 && qkv.dtype == ScalarType.Float32 && qkv.device_type == DeviceType.CPU
        && heads > 0 && qkv.shape[1] > 0 && qkv.shape[1] % (3L * heads) == 0;

    /// <summary>Attention over packed sequences.</summary>
    /// <param name="qkv">(N, 3·H): each row's query, key and value, heads side by side within each.</param>
    /// <param name="heads">Number of heads.</param>
    /// <param name="lengths">The sequences' lengths, in row order; they add up to N.</param>
    /// <returns>(N, H), a new tensor.</returns>
    /// <exception cref="ArgumentException">The operand is unsuitable (<see cref="CanRun"/>) or the lengths do not cover its rows.</exception>
    public static Tensor Forward(Tensor qkv, int heads, IReadOnlyList<int> lengths)
    {
        ArgumentNullException.ThrowIfNull(qkv);
        ArgumentNullException.ThrowIfNull(lengths);
        if (!CanRun(qkv, heads))
        {
            throw new ArgumentException(
                $"Fused attention needs float32 CPU (N, 3·H) with H a multiple of the head count and AVX-512; " +
                $"got [{string.Join(", ", qkv.shape)}] {qkv.dtype} on {qkv.device_type} with {heads} heads.", nameof(qkv));
        }

        if (lengths.Any(l => l < 0) || lengths.Sum(l => (long)l) != qkv.shape[0])
        {
            throw new ArgumentException($"The sequence lengths must be non-negative and add up to the {qkv.shape[0]} rows.", nameof(lengths));
        }

        long h = qkv.shape[1] / 3;
        using var input = qkv.contiguous();
        var y = empty(qkv.shape[0], h);
        if (y.numel() > 0)
        {
            Run(TensorMemory.Pointer(input), TensorMemory.Pointer(y), [.. lengths], heads, (int)(h / heads));
        }

        return y;
    }

    /// <summary>Attention on raw buffers: <paramref name="qkv"/> holds N rows of 3·H values, <paramref name="y"/> receives N rows of H.</summary>
    internal static void Run(float* qkv, float* y, int[] lengths, int heads, int headSize)
    {
        var offsets = new long[lengths.Length];
        long work = 0;
        for (int s = 1; s < lengths.Length; s++)
        {
            offsets[s] = offsets[s - 1] + lengths[s - 1];
        }

        foreach (int length in lengths)
        {
            work += 4L * length * length * heads * headSize;
        }

        int longest = lengths.Length == 0 ? 0 : lengths.Max();
        if ((long)longest * 3 * heads * headSize > int.MaxValue)
        {
            throw new ArgumentException($"A sequence of {longest} rows of {3 * heads * headSize} values is too long for the kernel's 32-bit gather offsets.", nameof(lengths));
        }

        var job = new Job(qkv, y, lengths, offsets, longest, heads, headSize);
        InferenceThreads.Split(lengths.Length * heads, work, job.Run);
    }

    /// <summary>One attention call's operands, as raw pointers into buffers kept alive by the caller.</summary>
    private readonly struct Job(float* qkv, float* y, int[] lengths, long[] offsets, int longest, int heads, int headSize)
    {
        /// <summary>Computes the (sequence, head) items [<paramref name="first"/>, <paramref name="end"/>).</summary>
        public void Run(int first, int end)
        {
            int widest = (longest + Lanes - 1) / Lanes * Lanes;                               // keys, rounded up to whole vectors
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
                        int padded = (length + Lanes - 1) / Lanes * Lanes;
                        long row = offsets[sequence];
                        float* rowBase = qkv + (row * stride) + (head * headSize);
                        float* outputBase = y + (row * hidden) + (head * headSize);
                        Transpose(rowBase + hidden, stride, length, kt, padded);                  // keys → (head_size, padded)
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
        /// (their scores are masked in <see cref="Softmax"/>). One 16-key gather per key vector and dimension.</summary>
        private void Transpose(float* k, int stride, int length, float* kt, int padded)
        {
            for (int j = 0; j < padded; j += Lanes)
            {
                var rows = Vector512.Min(Vector512<int>.Indices + Vector512.Create(j), Vector512.Create(length - 1)) * stride;
                Vector256<int> low = rows.GetLower(), high = rows.GetUpper();
                float* column = kt + j;
                for (int d = 0; d < headSize; d++, column += padded)
                {
                    Avx2.GatherVector256(k + d, low, sizeof(float)).Store(column);
                    Avx2.GatherVector256(k + d, high, sizeof(float)).Store(column + 8);
                }
            }
        }

        /// <summary>Scaled scores of four queries against the keys, into the rows of <paramref name="s"/> (each
        /// <paramref name="padded"/> long): four independent dot products per key vector, so the multiply-adds overlap
        /// instead of waiting on one accumulator.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Scores(Rows q, float* kt, int padded, float scale, float* s)
        {
            for (int j = 0; j < padded; j += Lanes)
            {
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                float* column = kt + j;
                for (int d = 0; d < headSize; d++, column += padded)
                {
                    var k = Vector512.Load(column);
                    a0 = Vector512.FusedMultiplyAdd(Vector512.Create(q.R0[d]), k, a0);
                    a1 = Vector512.FusedMultiplyAdd(Vector512.Create(q.R1[d]), k, a1);
                    a2 = Vector512.FusedMultiplyAdd(Vector512.Create(q.R2[d]), k, a2);
                    a3 = Vector512.FusedMultiplyAdd(Vector512.Create(q.R3[d]), k, a3);
                }

                (a0 * scale).Store(s + j);
                (a1 * scale).Store(s + padded + j);
                (a2 * scale).Store(s + (2 * padded) + j);
                (a3 * scale).Store(s + (3 * padded) + j);
            }
        }

        /// <summary>Replaces four rows of scores by e^(score − row max) over the sequence's <paramref name="length"/> keys
        /// and 0 past them (those columns never win); returns 1 / each row's sum. The rows go side by side, so their
        /// reductions and exponentials overlap.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static Vector128<float> Softmax(Rows s, int length, int padded)
        {
            var max0 = Vector512.Create(float.NegativeInfinity);
            Vector512<float> max1 = max0, max2 = max0, max3 = max0;
            for (int j = 0; j < padded; j += Lanes)
            {
                var keep = Vector512.LessThan(Vector512<int>.Indices + Vector512.Create(j), Vector512.Create(length)).AsSingle();
                max0 = Vector512.MaxNative(max0, Masked(s.R0 + j, keep));
                max1 = Vector512.MaxNative(max1, Masked(s.R1 + j, keep));
                max2 = Vector512.MaxNative(max2, Masked(s.R2 + j, keep));
                max3 = Vector512.MaxNative(max3, Masked(s.R3 + j, keep));
            }

            max0 = AcrossLanes(max0);
            max1 = AcrossLanes(max1);
            max2 = AcrossLanes(max2);
            max3 = AcrossLanes(max3);
            Vector512<float> sum0 = default, sum1 = default, sum2 = default, sum3 = default;
            for (int j = 0; j < padded; j += Lanes)
            {
                var keep = Vector512.LessThan(Vector512<int>.Indices + Vector512.Create(j), Vector512.Create(length)).AsSingle();
                sum0 += Exponentiate(s.R0 + j, keep, max0);
                sum1 += Exponentiate(s.R1 + j, keep, max1);
                sum2 += Exponentiate(s.R2 + j, keep, max2);
                sum3 += Exponentiate(s.R3 + j, keep, max3);
            }

            return Vector128<float>.One / Vector128.Create(Vector512.Sum(sum0), Vector512.Sum(sum1), Vector512.Sum(sum2), Vector512.Sum(sum3));
        }

        /// <summary>The 16 scores at <paramref name="s"/>, −∞ where <paramref name="keep"/> is clear.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> Masked(float* s, Vector512<float> keep) =>
            Vector512.ConditionalSelect(keep, Vector512.Load(s), Vector512.Create(float.NegativeInfinity));

        /// <summary>Stores e^(score − max) over the 16 scores at <paramref name="s"/> (0 where <paramref name="keep"/> is clear) and returns them.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> Exponentiate(float* s, Vector512<float> keep, Vector512<float> max)
        {
            var e = VectorMath.Exp(Masked(s, keep) - max);                                       // e^(−∞) = 0
            e.Store(s);
            return e;
        }

        /// <summary>The largest lane in every lane.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> AcrossLanes(Vector512<float> v)
        {
            v = Vector512.MaxNative(v, Vector512.Shuffle(v, Vector512.Create(8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7)));
            v = Vector512.MaxNative(v, Vector512.Shuffle(v, Vector512.Create(4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11)));
            v = Vector512.MaxNative(v, Vector512.Shuffle(v, Vector512.Create(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13)));
            return Vector512.MaxNative(v, Vector512.Shuffle(v, Vector512.Create(1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14)));
        }

        /// <summary>output_r = inverse_r · Σⱼ p_r[j] · v[j] for the four rows, one pass over the sequence's values for all
        /// four; head sizes off the 16-float vectors end in scalars.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void WeightedValues(Rows p, float* v, int stride, int length, Vector128<float> inverses, Rows output)
        {
            int d = 0;
            for (; d + Lanes <= headSize; d += Lanes)
            {
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                float* value = v + d;
                for (int j = 0; j < length; j++, value += stride)
                {
                    var x = Vector512.Load(value);
                    a0 = Vector512.FusedMultiplyAdd(Vector512.Create(p.R0[j]), x, a0);
                    a1 = Vector512.FusedMultiplyAdd(Vector512.Create(p.R1[j]), x, a1);
                    a2 = Vector512.FusedMultiplyAdd(Vector512.Create(p.R2[j]), x, a2);
                    a3 = Vector512.FusedMultiplyAdd(Vector512.Create(p.R3[j]), x, a3);
                }

                (a0 * inverses[0]).Store(output.R0 + d);
                (a1 * inverses[1]).Store(output.R1 + d);
                (a2 * inverses[2]).Store(output.R2 + d);
                (a3 * inverses[3]).Store(output.R3 + d);
            }

            for (; d < headSize; d++)
            {
                float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f;
                float* value = v + d;
                for (int j = 0; j < length; j++, value += stride)
                {
                    a0 += p.R0[j] * *value;
                    a1 += p.R1[j] * *value;
                    a2 += p.R2[j] * *value;
                    a3 += p.R3[j] * *value;
                }

                output.R0[d] = a0 * inverses[0];
                output.R1[d] = a1 * inverses[1];
                output.R2[d] = a2 * inverses[2];
                output.R3[d] = a3 * inverses[3];
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
