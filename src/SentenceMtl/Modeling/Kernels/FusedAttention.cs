using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
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
/// is one pass: the head's keys are transposed into a scratch block, scores for 16 keys at a time come from
/// broadcast multiply-adds, the softmax is vectorized (<see cref="Vector512.Exp(Vector512{float})"/>), and the weighted
/// values are summed into the output row. Same values as libtorch to float rounding (≈ 1e-6).
/// </remarks>
internal static unsafe class FusedAttention
{
    private const int Lanes = 16;

    /// <summary>Whether the kernel handles this operand: float32 CPU (N, 3·H) with H a multiple of <paramref name="heads"/>.</summary>
    /// <param name="qkv">The fused projection's output.</param>
    /// <param name="heads">Number of heads.</param>
    public static bool CanRun(Tensor qkv, int heads) =>
        Vector512.IsHardwareAccelerated && qkv.dim() == 2 && qkv.dtype == ScalarType.Float32 && qkv.device_type == DeviceType.CPU
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

        var job = new Job(qkv, y, lengths, offsets, lengths.Length == 0 ? 0 : lengths.Max(), heads, headSize);
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
            float[] keys = pool.Rent(Math.Max(1, headSize * widest)), scores = pool.Rent(Math.Max(1, widest));
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
                        Transpose(rowBase + hidden, stride, length, kt, padded);                  // keys → (head_size, padded)
                        for (int i = 0; i < length; i++)
                        {
                            Scores(rowBase + ((long)i * stride), kt, length, padded, scale, s);
                            float inverse = Softmax(s, padded);
                            WeightedValues(s, rowBase + (2 * hidden), stride, length, inverse, y + ((row + i) * hidden) + (head * headSize));
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

        private void Transpose(float* k, int stride, int length, float* kt, int padded)
        {
            for (int d = 0; d < headSize; d++)
            {
                float* column = kt + ((long)d * padded);
                for (int j = 0; j < length; j++)
                {
                    column[j] = k[((long)j * stride) + d];
                }

                for (int j = length; j < padded; j++)
                {
                    column[j] = 0f;
                }
            }
        }

        /// <summary>Scaled scores of one query against the keys; the columns past the sequence get −∞ and never win.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Scores(float* q, float* kt, int length, int padded, float scale, float* s)
        {
            for (int j = 0; j < padded; j += Lanes)
            {
                var acc = Vector512<float>.Zero;
                float* column = kt + j;
                for (int d = 0; d < headSize; d++, column += padded)
                {
                    acc = Vector512.FusedMultiplyAdd(Vector512.Create(q[d]), Vector512.Load(column), acc);
                }

                (acc * scale).Store(s + j);
            }

            for (int j = length; j < padded; j++)
            {
                s[j] = float.NegativeInfinity;
            }
        }

        private static float Softmax(float* s, int padded)
        {
            var max = Vector512.Create(float.NegativeInfinity);
            for (int j = 0; j < padded; j += Lanes)
            {
                max = Vector512.Max(max, Vector512.Load(s + j));
            }

            var top = Vector512.Create(Max(max));
            var sum = Vector512<float>.Zero;
            for (int j = 0; j < padded; j += Lanes)
            {
                var e = Vector512.Exp(Vector512.Load(s + j) - top);
                e.Store(s + j);
                sum += e;
            }

            return 1f / Vector512.Sum(sum);
        }

        private static float Max(Vector512<float> v)
        {
            float highest = float.NegativeInfinity;
            for (int l = 0; l < Lanes; l++)
            {
                highest = MathF.Max(highest, v[l]);
            }

            return highest;
        }

        /// <summary>output = inverse · Σⱼ p[j] · v[j] over the sequence's values; head sizes off the 16-float vectors end in scalars.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void WeightedValues(float* p, float* v, int stride, int length, float inverse, float* output)
        {
            int d = 0;
            for (; d + Lanes <= headSize; d += Lanes)
            {
                var acc = Vector512<float>.Zero;
                float* value = v + d;
                for (int j = 0; j < length; j++, value += stride)
                {
                    acc = Vector512.FusedMultiplyAdd(Vector512.Create(p[j]), Vector512.Load(value), acc);
                }

                (acc * inverse).Store(output + d);
            }

            for (; d < headSize; d++)
            {
                float acc = 0f;
                float* value = v + d;
                for (int j = 0; j < length; j++, value += stride)
                {
                    acc += p[j] * *value;
                }

                output[d] = acc * inverse;
            }
        }
    }
}
