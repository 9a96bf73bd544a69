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

    /// <summary>The rule: see <see cref="Int8Rule.Quantize"/>.</summary>
    public static (int[] Values, float Scale) Quantize(ReadOnlySpan<float> values, int levels = 127) => Int8Rule.Quantize(values, levels);

    /// <summary>The product the kernel promises: see <see cref="Int8Rule.Product"/>.</summary>
    public static float[] Product(float[] x, int rows, int k, float[] weight, int n, float[] bias, bool addPrior, float[] prior) =>
        Int8Rule.Product(x, rows, k, weight, n, bias, addPrior, prior);

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
