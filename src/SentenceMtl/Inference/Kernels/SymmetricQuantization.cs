using System.Numerics.Tensors;

namespace SentenceMtl.Inference.Kernels;

/// <summary>
/// Symmetric quantization of weights, one scale per row, to L levels on each side of 0: q = round(w · L / max|w|),
/// ties to even, so q ∈ [−L, L], the largest value maps to ±L and w ≈ q · scale with scale = max|w| / L (error at
/// most scale / 2). An all-zero row has scale 0. <see cref="ActivationQuantizer"/> applies the same rule (L = 127) to
/// each input row as it runs.
/// </summary>
internal static class SymmetricQuantization
{
    /// <summary>Quantizes <paramref name="values"/> into <paramref name="quantized"/> (as long) to <paramref name="levels"/>
    /// levels each side of 0 (at most 127) and returns the scale, or null when a value is NaN or infinite (nothing is
    /// written then).</summary>
    public static float? Quantize(ReadOnlySpan<float> values, Span<sbyte> quantized, int levels)
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

        float inverse = levels / largest;
        for (int i = 0; i < values.Length; i++)
        {
            quantized[i] = (sbyte)MathF.Round(values[i] * inverse);
        }

        return largest / levels;
    }
}
