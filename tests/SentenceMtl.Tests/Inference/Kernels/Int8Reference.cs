using System.Runtime.Intrinsics;
using SentenceMtl.Inference;
using SentenceMtl.Inference.Kernels;
using SentenceMtl.Inference.Vectors;

namespace SentenceMtl.Tests.Inference.Kernels;

/// <summary>
/// What the int8 kernel tests share: the documented quantization rule written out in scalar code, the exact integer
/// product, and runs of <see cref="ActivationQuantizer"/> and <see cref="QuantizedLinear"/> at a chosen width.
/// </summary>
internal static unsafe class Int8Reference
{
    /// <summary>The width <paramref name="bits"/> stands for; skips the test when this machine does not run the int8 kernels there.</summary>
    public static VectorWidth Require(int bits)
    {
        var width = (VectorWidth)bits;
        Skip.IfNot(VectorWidths.IsInt8Accelerated(width), $"the int8 kernels do not run at {width} on this machine.");
        return width;
    }

    /// <summary>The rule: scale = max|v| / L, q = round(v · (L / max|v|)) ties to even, in float arithmetic; all-zero → scale 0.</summary>
    public static (int[] Values, float Scale) Quantize(ReadOnlySpan<float> values, int levels = 127)
    {
        float largest = 0;
        foreach (float v in values)
        {
            largest = Math.Max(largest, Math.Abs(v));
        }

        var q = new int[values.Length];
        if (largest == 0)
        {
            return (q, 0);
        }

        float inverse = levels / largest;
        for (int i = 0; i < q.Length; i++)
        {
            q[i] = (int)MathF.Round(values[i] * inverse);
        }

        return (q, largest / levels);
    }

    /// <summary>
    /// The product the kernel promises: the exact integer sums of x quantized to ±127 and W to ±63, then, in float,
    /// fma(float(sum) · rowScale, columnScale, bias), plus the prior value for AddToOutput. GELU is left to the caller.
    /// </summary>
    public static float[] Product(float[] x, int rows, int k, float[] weight, int n, float[] bias, bool addPrior, float[] prior)
    {
        var columns = Enumerable.Range(0, n).Select(j => Quantize(weight.AsSpan(j * k, k), QuantizedLinear.WeightLevels)).ToArray();
        var y = new float[rows * n];
        for (int r = 0; r < rows; r++)
        {
            var (q, scale) = Quantize(x.AsSpan(r * k, k));
            for (int j = 0; j < n; j++)
            {
                long sum = 0;
                for (int i = 0; i < k; i++)
                {
                    sum += (long)q[i] * columns[j].Values[i];
                }

                float value = MathF.FusedMultiplyAdd((float)sum * scale, columns[j].Scale, bias[j]);
                y[(r * n) + j] = addPrior ? value + prior[(r * n) + j] : value;
            }
        }

        return y;
    }

    /// <summary>Quantizes <paramref name="x"/> with <see cref="ActivationQuantizer"/> at <paramref name="width"/>: the bytes q + 128 (K rounded up to a multiple of 4 per row) and scales.</summary>
    public static (byte[] Values, float[] Scales) QuantizeRows(VectorWidth width, float[] x, int rows, int k, int threads)
    {
        using var pool = new IntraOpThreadPool(threads);
        var input = KernelWidths.Aligned(x);
        var values = new byte[rows * QuantizedLinear.PadInFeatures(k)];
        var scales = new float[rows];
        fixed (byte* q = values)
        fixed (float* s = scales)
        {
            switch (width)
            {
                case VectorWidth.Bits512:
                    ActivationQuantizer.Quantize<Simd512, Vector512<float>>(input.Pointer, rows, k, q, s, pool);
                    break;
                case VectorWidth.Bits256:
                    ActivationQuantizer.Quantize<Simd256, Vector256<float>>(input.Pointer, rows, k, q, s, pool);
                    break;
                default:
                    ActivationQuantizer.Quantize<Simd128, Vector128<float>>(input.Pointer, rows, k, q, s, pool);
                    break;
            }
        }

        return (values, scales);
    }

    /// <summary>y = epilogue(x·Wᵀ + b) through the quantizer and the product at the packed width; for AddToOutput y starts as <paramref name="prior"/>.</summary>
    public static float[] Run(QuantizedLinear packed, float[] x, int rows, LinearEpilogue epilogue, float[] prior, int threads)
    {
        var (values, scales) = QuantizeRows(packed.Width, x, rows, packed.InFeatures, threads);
        using var pool = new IntraOpThreadPool(threads);
        var output = KernelWidths.Aligned(epilogue == LinearEpilogue.AddToOutput ? prior : new float[prior.Length]);
        fixed (byte* q = values)
        fixed (float* s = scales)
        {
            switch (packed.Width)
            {
                case VectorWidth.Bits512:
                    packed.Multiply<Simd512, Vector512<float>>(q, s, rows, output.Pointer, epilogue, pool);
                    break;
                case VectorWidth.Bits256:
                    packed.Multiply<Simd256, Vector256<float>>(q, s, rows, output.Pointer, epilogue, pool);
                    break;
                default:
                    packed.Multiply<Simd128, Vector128<float>>(q, s, rows, output.Pointer, epilogue, pool);
                    break;
            }
        }

        return output.Span.ToArray();
    }
}
