using System.Numerics.Tensors;
using SentenceMtl.Search;

namespace SentenceMtl;

/// <summary>
/// Per-dimension value ranges for int8 quantization, as sentence-transformers' <c>quantize_embeddings(precision="int8")</c>:
/// each dimension's [min, max] is cut into 255 steps and value x becomes <c>(x − min) / step − 128</c>, clipped to
/// [−128, 127] and truncated toward zero (numpy's <c>astype(int8)</c>).
/// </summary>
/// <remarks>
/// Calibrate on a sample of the embeddings the corpus is made of (sentence-transformers uses the embeddings themselves
/// when given no <c>calibration_embeddings</c>), then quantize the corpus and the queries with the same calibration.
/// Values outside the calibrated range clip to the ends. A dimension with one value in the sample (min = max) maps
/// values up to it to −128 and larger ones to 127.
/// </remarks>
public sealed class Int8Calibration
{
    private readonly float[] minimums;
    private readonly float[] steps;

    private Int8Calibration(float[] minimums, float[] maximums)
    {
        this.minimums = minimums;
        Maximums = maximums;
        steps = new float[minimums.Length];
        for (int d = 0; d < steps.Length; d++)
        {
            steps[d] = (maximums[d] - minimums[d]) / 255f;
        }
    }

    /// <summary>Values per embedding.</summary>
    public int Dimension => minimums.Length;

    /// <summary>The smallest calibrated value of each dimension.</summary>
    public IReadOnlyList<float> Minimums => minimums;

    /// <summary>The largest calibrated value of each dimension.</summary>
    public IReadOnlyList<float> Maximums { get; }

    /// <summary>Ranges from the per-dimension minimum and maximum of <paramref name="sample"/>.</summary>
    /// <param name="sample">At least one embedding; all of one dimension, finite.</param>
    /// <returns>The calibration.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="sample"/> is null.</exception>
    /// <exception cref="ArgumentException">The sample is empty, or a row is null, empty, not finite or of another dimension.</exception>
    public static Int8Calibration FromSample(float[][] sample)
    {
        int dimension = EmbeddingChecks.Dimension(sample, nameof(sample));
        if (dimension == 0)
        {
            throw new ArgumentException("The calibration sample is empty: pass at least one embedding (usually the corpus, or a few thousand of its rows).", nameof(sample));
        }

        float[] min = (float[])sample[0].Clone(), max = (float[])sample[0].Clone();
        foreach (var row in sample)
        {
            TensorPrimitives.Min(min, row, min);
            TensorPrimitives.Max(max, row, max);
        }

        CheckRanges(min, max, nameof(sample));
        return new Int8Calibration(min, max);
    }

    /// <summary>Ranges given directly (e.g. saved from an earlier <see cref="FromSample"/>).</summary>
    /// <param name="minimums">The smallest value of each dimension.</param>
    /// <param name="maximums">The largest value of each dimension, not below the minimum.</param>
    /// <returns>The calibration.</returns>
    /// <exception cref="ArgumentNullException">An array is null.</exception>
    /// <exception cref="ArgumentException">The arrays are empty, differ in length, hold a non-finite value, or a maximum is below its minimum.</exception>
    public static Int8Calibration FromRanges(float[] minimums, float[] maximums)
    {
        ArgumentNullException.ThrowIfNull(minimums);
        ArgumentNullException.ThrowIfNull(maximums);
        EmbeddingChecks.Dimension([minimums], nameof(minimums), [maximums], nameof(maximums));
        CheckRanges(minimums, maximums, nameof(maximums));
        return new Int8Calibration((float[])minimums.Clone(), (float[])maximums.Clone());
    }

    /// <summary>
    /// Every range must be ordered and its width finite: a width past float's range (e.g. -3e38 to 3e38) makes every
    /// step infinite, so dequantized values would be infinity or NaN.
    /// </summary>
    private static void CheckRanges(float[] minimums, float[] maximums, string name)
    {
        for (int d = 0; d < minimums.Length; d++)
        {
            if (!(maximums[d] >= minimums[d]))
            {
                throw new ArgumentException($"Dimension {d}: maximum {maximums[d]} is below minimum {minimums[d]}: pass each dimension's smallest value in minimums and largest in maximums.", name);
            }

            if (float.IsInfinity(maximums[d] - minimums[d]))
            {
                throw new ArgumentException($"Dimension {d} spans {minimums[d]} to {maximums[d]}, a range wider than float holds (it overflows): int8 calibration needs ranges narrower than 3.4e38; scale the embeddings down (or normalize them) first.", name);
            }
        }
    }

    /// <summary>The int8 codes of <paramref name="embeddings"/>, row for row.</summary>
    /// <param name="embeddings">Embeddings of <see cref="Dimension"/> values, finite.</param>
    /// <returns>One array of <see cref="Dimension"/> codes per embedding.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="embeddings"/> is null.</exception>
    /// <exception cref="ArgumentException">A row is null, empty, not finite or not of <see cref="Dimension"/> values.</exception>
    public sbyte[][] Quantize(float[][] embeddings)
    {
        int dimension = EmbeddingChecks.Dimension(embeddings, nameof(embeddings));
        CheckDimension(dimension, nameof(embeddings));
        return Array.ConvertAll(embeddings, QuantizeRow);
    }

    /// <summary>The value each code stands for: <c>min + (code + 128) · step</c>, the inverse of the formula before truncation.</summary>
    /// <param name="codes"><see cref="Dimension"/> codes.</param>
    /// <returns>The approximate embedding.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="codes"/> is null.</exception>
    /// <exception cref="ArgumentException">The length is not <see cref="Dimension"/>.</exception>
    public float[] Dequantize(sbyte[] codes)
    {
        ArgumentNullException.ThrowIfNull(codes);
        CheckDimension(codes.Length, nameof(codes));
        var values = new float[codes.Length];
        DequantizeInto(codes, values);
        return values;
    }

    /// <summary><see cref="Dequantize"/> into a buffer of <see cref="Dimension"/> values (no checks).</summary>
    internal void DequantizeInto(sbyte[] codes, Span<float> values)
    {
        for (int d = 0; d < codes.Length; d++)
        {
            values[d] = minimums[d] + ((codes[d] + 128) * steps[d]);
        }
    }

    /// <summary>One row's codes (checked by the caller).</summary>
    internal sbyte[] QuantizeRow(float[] row)
    {
        var codes = new sbyte[row.Length];
        for (int d = 0; d < row.Length; d++)
        {
            float scaled = steps[d] > 0f ? ((row[d] - minimums[d]) / steps[d]) - 128f : row[d] <= minimums[d] ? -128f : 127f;
            codes[d] = (sbyte)MathF.Truncate(Math.Clamp(scaled, -128f, 127f));
        }

        return codes;
    }

    /// <summary>Throws when <paramref name="dimension"/> (when known, non-zero) differs from the calibration's.</summary>
    internal void CheckDimension(int dimension, string name)
    {
        if (dimension != 0 && dimension != Dimension)
        {
            throw new ArgumentException($"{name} have {dimension} values but the calibration has {Dimension}: calibrate on embeddings of the same model (and TruncateDimension).", name);
        }
    }
}
