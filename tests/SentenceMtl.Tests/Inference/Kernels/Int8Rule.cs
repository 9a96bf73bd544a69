using SentenceMtl.Inference.Kernels;

namespace SentenceMtl.Tests.Inference.Kernels;

/// <summary>
/// The int8 rule written out in scalar code, with no test framework: shared by the x64 kernel tests
/// (Int8Reference) and the ARM64 checker (tests/SentenceMtl.PortableChecks links this file).
/// </summary>
internal static class Int8Rule
{
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
}
