using System.Numerics.Tensors;

namespace SentenceMtl.Inference.Kernels;

/// <summary>
/// The int8 quantization of weights, one scale per row: q = round(w · 127 / max|w|), ties to even, so q ∈ [−127, 127],
/// the largest value maps to ±127 and w ≈ q · scale with scale = max|w| / 127 (error at most scale / 2). An all-zero
/// row has scale 0. <see cref="ActivationQuantizer"/> applies the same rule to each input row as it runs.
/// </summary>
internal static class SymmetricQuantization
{
    /// <summary>Quantizes <paramref name="values"/> into <paramref name="quantized"/> (as long) and returns the scale,
    /// or null when a value is NaN or infinite (nothing is written then).</summary>
    public static float? Quantize(ReadOnlySpan<float> values, Span<sbyte> quantized)
    {
        float largest = Math.Abs(TensorPrimitives.MaxMagnitude(values));                         // NaN when any is NaN
        if (!float.IsFinite(largest))
        {
            return null;
        }

        if (largest == 0)
        {
            quantized[..values.Length].Clear();
            return 0;
        }

        float inverse = 127f / largest;
        for (int i = 0; i < values.Length; i++)
        {
            quantized[i] = (sbyte)MathF.Round(values[i] * inverse);
        }

        return largest / 127f;
    }
}
