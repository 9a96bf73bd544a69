using System.Numerics.Tensors;
using SentenceMtl.Inference.Vectors;

namespace SentenceMtl.Inference.Kernels;

/// <summary>
/// Dynamic int8 quantization of a linear layer's input, one scale per row: q = round(x · 127 / max|x|), ties to even,
/// so q ∈ [−127, 127] and x ≈ q · max|x| / 127. Written as unsigned bytes q + 128, K rounded up to a multiple of 4
/// per row (padding 128, that is q = 0), the layout <see cref="QuantizedLinear"/> reads.
/// </summary>
/// <remarks>
/// Each value is quantized on its own (one multiply, one rounding), so every width gives the same integers. A row of
/// zeros has scale 0; a row holding NaN or an infinity gets scale NaN, so the product's outputs for that row are NaN
/// rather than finite values computed from meaningless integers.
/// </remarks>
internal static unsafe class ActivationQuantizer
{
    /// <summary>Quantizes rows [0, <paramref name="rows"/>) of <paramref name="x"/>.</summary>
    /// <param name="x">The rows, <paramref name="k"/> floats each.</param>
    /// <param name="rows">How many rows.</param>
    /// <param name="k">Values per row, at least 1.</param>
    /// <param name="quantized">rows × (k rounded up to a multiple of 4) bytes, written.</param>
    /// <param name="scales">rows scales, written.</param>
    /// <param name="pool">The threads to split the rows over.</param>
    public static void Quantize<TS, TV>(float* x, long rows, int k, byte* quantized, float* scales, IntraOpThreadPool pool)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        var job = new Job<TS, TV>(x, k, quantized, scales);
        pool.For((int)rows, rows * k * 4, job.Run);
    }

    private readonly struct Job<TS, TV>(float* x, int k, byte* quantized, float* scales)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        public void Run(int first, int end)
        {
            int lanes = TS.Count, vectorEnd = k / lanes * lanes, kp = QuantizedLinear.PadInFeatures(k);
            var offset = TS.Broadcast(128f);                                                     // stored as q + 128
            for (long r = first; r < end; r++)
            {
                float* row = x + (r * k);
                byte* target = quantized + (r * kp);
                float largest = Math.Abs(TensorPrimitives.MaxMagnitude(new ReadOnlySpan<float>(row, k)));   // NaN when any is NaN
                if (largest == 0 || !float.IsFinite(largest))
                {
                    new Span<byte>(target, kp).Fill(128);
                    scales[r] = largest == 0 ? 0 : float.NaN;
                    continue;
                }

                float inverse = 127f / largest;
                var factor = TS.Broadcast(inverse);
                int j = 0;
                for (; j < vectorEnd; j += lanes)
                {
                    TS.StoreBytes(TS.Add(TS.Round(TS.Multiply(TS.Load(row + j), factor)), offset), target + j);
                }

                for (; j < k; j++)
                {
                    target[j] = (byte)(MathF.Round(row[j] * inverse) + 128);
                }

                new Span<byte>(target + k, kp - k).Fill(128);
                scales[r] = largest / 127f;
            }
        }
    }
}
