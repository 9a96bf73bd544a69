using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace SentenceMtl.Modeling.Kernels;

/// <summary>
/// Multi-head scaled dot-product attention for inference on the CPU, straight from the fused query/key/value
/// projection: reads every head from (B, T, 3·H) and writes the heads already merged, (B, T, H).
/// </summary>
/// <remarks>
/// libtorch's CPU <c>scaled_dot_product_attention</c> runs two small matrix products per batch row and head through
/// MKL; with a dozen tokens per sentence that fixed cost per call is most of the attention's time (measured: about as
/// long as all four linear layers of the layer together, one thread, batches of 32 sentences). Here each (row, head)
/// is one pass: the head's keys are transposed into a scratch block, scores for 16 keys at a time come from
/// broadcast multiply-adds, the softmax is vectorized (<see cref="Vector512.Exp(Vector512{float})"/>), and the weighted
/// values are summed into the output row. Same values as libtorch to float rounding (≈ 1e-6).
/// </remarks>
internal static unsafe class FusedAttention
{
    private const int Lanes = 16;

    /// <summary>Whether the kernel handles these operands: float32 CPU (B, T, 3·H), head size a multiple of 16, and an
    /// additive float32 (B, 1, 1, T) mask or none.</summary>
    /// <param name="qkv">The fused projection's output.</param>
    /// <param name="heads">Number of heads.</param>
    /// <param name="mask">Additive mask or null.</param>
    public static bool CanRun(Tensor qkv, int heads, Tensor? mask)
    {
        if (!Vector512.IsHardwareAccelerated || qkv.dim() != 3 || qkv.dtype != ScalarType.Float32 || qkv.device_type != DeviceType.CPU
            || heads <= 0 || qkv.shape[2] % (3L * heads) != 0 || qkv.shape[2] / (3L * heads) % Lanes != 0 || qkv.shape[1] > 4096)
        {
            return false;
        }

        return mask is null || (mask.dtype == ScalarType.Float32 && mask.device_type == DeviceType.CPU
            && mask.shape.SequenceEqual(new[] { qkv.shape[0], 1, 1, qkv.shape[1] }));
    }

    /// <summary>softmax(q·kᵀ / √head_size + mask)·v for every batch row and head.</summary>
    /// <param name="qkv">(B, T, 3·H): per token, all heads' queries, then keys, then values (the fused projection's layout).</param>
    /// <param name="heads">Number of heads (H / head_size).</param>
    /// <param name="mask">(B, 1, 1, T) added to the scores before the softmax, or null.</param>
    /// <returns>(B, T, H), heads merged.</returns>
    /// <exception cref="ArgumentException">The operands do not suit the kernel (<see cref="CanRun"/>).</exception>
    public static Tensor Forward(Tensor qkv, int heads, Tensor? mask)
    {
        ArgumentNullException.ThrowIfNull(qkv);
        if (!CanRun(qkv, heads, mask))
        {
            throw new ArgumentException(
                $"Fused attention needs float32 CPU (B, T, 3·H) with a head size that is a multiple of {Lanes} and a (B, 1, 1, T) float32 mask; " +
                $"got [{string.Join(", ", qkv.shape)}] {qkv.dtype} on {qkv.device_type} with {heads} heads.", nameof(qkv));
        }

        long b = qkv.shape[0], t = qkv.shape[1], h = qkv.shape[2] / 3;
        using var input = qkv.contiguous();
        using var additive = mask?.contiguous();
        var y = empty(b, t, h);
        if (y.numel() == 0)
        {
            return y;
        }

        var job = new Job(TensorMemory.Pointer(input), additive is null ? null : TensorMemory.Pointer(additive), TensorMemory.Pointer(y), (int)t, heads, (int)(h / heads));
        int items = (int)b * heads;
        InferenceThreads.Split(items, b * t * t * h * 2, job.Run);

        return y;
    }

    /// <summary>One call's operands as raw pointers into tensors the caller keeps alive.</summary>
    private readonly struct Job(float* qkv, float* mask, float* y, int length, int heads, int headSize)
    {
        /// <summary>Attends for work items [<paramref name="first"/>, <paramref name="end"/>), item = row · heads + head.</summary>
        public void Run(int first, int end)
        {
            int padded = (length + Lanes - 1) / Lanes * Lanes;                                // keys, rounded up to whole vectors
            int hidden = heads * headSize, stride = 3 * hidden;
            float scale = 1f / MathF.Sqrt(headSize);
            var pool = ArrayPool<float>.Shared;
            float[] keys = pool.Rent(headSize * padded), bias = pool.Rent(padded), scores = pool.Rent(padded);
            try
            {
                fixed (float* kt = keys, bi = bias, s = scores)
                {
                    int row = -1;
                    for (int item = first; item < end; item++)
                    {
                        int r = item / heads, head = item % heads;
                        if (r != row)
                        {
                            row = r;
                            for (int j = 0; j < padded; j++)                                      // mask row; padding columns never win
                            {
                                bi[j] = j >= length ? float.NegativeInfinity : mask is null ? 0f : mask[((long)r * length) + j];
                            }
                        }

                        float* rowBase = qkv + ((long)r * length * stride) + (head * headSize);
                        Transpose(rowBase + hidden, stride, kt, padded);                          // keys → (head_size, padded)
                        for (int i = 0; i < length; i++)
                        {
                            Scores(rowBase + ((long)i * stride), kt, padded, bi, scale, s);
                            float inverse = Softmax(s, padded);
                            WeightedValues(s, rowBase + (2 * hidden), stride, inverse, y + ((((long)r * length) + i) * hidden) + (head * headSize));
                        }
                    }
                }
            }
            finally
            {
                pool.Return(keys);
                pool.Return(bias);
                pool.Return(scores);
            }
        }

        /// <summary>kt[d, j] = k_j[d] for the real keys, 0 for the padding columns.</summary>
        private void Transpose(float* k, int stride, float* kt, int padded)
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

        /// <summary>s[j] = (q · k_j) · scale + bias[j], 16 keys per vector.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Scores(float* q, float* kt, int padded, float* bias, float scale, float* s)
        {
            for (int j = 0; j < padded; j += Lanes)
            {
                var acc = Vector512<float>.Zero;
                float* column = kt + j;
                for (int d = 0; d < headSize; d++, column += padded)
                {
                    acc = Vector512.FusedMultiplyAdd(Vector512.Create(q[d]), Vector512.Load(column), acc);
                }

                Vector512.FusedMultiplyAdd(acc, Vector512.Create(scale), Vector512.Load(bias + j)).Store(s + j);
            }
        }

        /// <summary>s ← exp(s − max s) in place; returns 1 / Σ exp.</summary>
        private static float Softmax(float* s, int padded)
        {
            var max = Vector512.Create(float.NegativeInfinity);
            for (int j = 0; j < padded; j += Lanes)
            {
                max = Vector512.Max(max, Vector512.Load(s + j));
            }

            float highest = float.NegativeInfinity;
            for (int l = 0; l < Lanes; l++)
            {
                highest = MathF.Max(highest, max[l]);
            }

            var top = Vector512.Create(highest);
            var sum = Vector512<float>.Zero;
            for (int j = 0; j < padded; j += Lanes)
            {
                var e = Vector512.Exp(Vector512.Load(s + j) - top);
                e.Store(s + j);
                sum += e;
            }

            return 1f / Vector512.Sum(sum);
        }

        /// <summary>out = (Σ_j p_j · v_j) · inverse, 16 dimensions per vector.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void WeightedValues(float* p, float* v, int stride, float inverse, float* output)
        {
            for (int d = 0; d < headSize; d += Lanes)
            {
                var acc = Vector512<float>.Zero;
                float* value = v + d;
                for (int j = 0; j < length; j++, value += stride)
                {
                    acc = Vector512.FusedMultiplyAdd(Vector512.Create(p[j]), Vector512.Load(value), acc);
                }

                (acc * inverse).Store(output + d);
            }
        }
    }
}
