using SentenceMtl.Inference.Kernels;

namespace SentenceMtl.Tests.Inference.Kernels;

/// <summary><see cref="ActivationQuantizer"/> and <see cref="SymmetricQuantization"/> against the documented rule, at every width.</summary>
public sealed class ActivationQuantizerTests
{
    /// <summary>Row lengths: BERT's sizes, sizes off every vector and off a multiple of 4 (padded with q = 0), and 1.</summary>
    private static readonly int[] Lengths = [384, 1536, 37, 20, 1];

    /// <summary>Each row equals the scalar rule exactly (stored as q + 128), lies in [−127, 127], puts its largest magnitude
    /// at ±127, and pads to a multiple of 4 with q = 0.</summary>
    [SkippableTheory]
    [MemberData(nameof(KernelWidths.All), MemberType = typeof(KernelWidths))]
    public void Rows_follow_the_rule_exactly(int bits)
    {
        var width = Int8Reference.Require(bits);
        foreach (int k in Lengths)
        {
            const int rows = 70;
            var x = KernelWidths.Normal(k, (long)rows * k, 3);
            foreach (int threads in new[] { 1, 2 })
            {
                var (values, scales) = Int8Reference.QuantizeRows(width, x, rows, k, threads);
                int kp = QuantizedLinear.PadInFeatures(k);
                for (int r = 0; r < rows; r++)
                {
                    var (expected, scale) = Int8Reference.Quantize(x.AsSpan(r * k, k));
                    Assert.Equal(scale, scales[r]);
                    var row = values.AsSpan(r * kp, kp).ToArray().Select(v => v - 128).ToArray();
                    Assert.Equal(expected, row[..k]);
                    Assert.InRange(row.Max(Math.Abs), 127, 127);
                    Assert.All(row[k..], v => Assert.Equal(0, v));
                }
            }
        }
    }

    /// <summary>A zero row has scale 0 and zeros; a row with NaN or an infinity has scale NaN (so the product's row is NaN, not a made-up number).</summary>
    [SkippableTheory]
    [MemberData(nameof(KernelWidths.All), MemberType = typeof(KernelWidths))]
    public void Zero_and_non_finite_rows_are_marked(int bits)
    {
        var width = Int8Reference.Require(bits);
        const int k = 40;
        var x = KernelWidths.Normal(9, 3 * k);
        Array.Clear(x, 0, k);
        x[k + 17] = float.NaN;
        x[(2 * k) + 39] = float.NegativeInfinity;
        var (values, scales) = Int8Reference.QuantizeRows(width, x, 3, k, threads: 1);
        Assert.Equal(0f, scales[0]);
        Assert.All(values[..k], v => Assert.Equal(128, v));                                     // q = 0
        Assert.True(float.IsNaN(scales[1]), $"scale of a row with NaN: {scales[1]}");
        Assert.True(float.IsNaN(scales[2]), $"scale of a row with −∞: {scales[2]}");
    }

    /// <summary>Weights, at the linear layers' ±63 and the embeddings' ±127: dequantized values within half a step of the
    /// originals, the largest exact, a zero row scale 0, NaN and infinity refused.</summary>
    [Theory]
    [InlineData(QuantizedLinear.WeightLevels)]
    [InlineData(127)]
    public void Weights_round_trip_within_half_a_step(int levels)
    {
        var w = KernelWidths.Normal(5, 1000, 0.05);
        var q = new sbyte[w.Length];
        float scale = SymmetricQuantization.Quantize(w, q, levels)!.Value;
        int largest = Array.IndexOf(w, w.MaxBy(Math.Abs));
        Assert.Equal(Math.Abs(w[largest]) / levels, scale);
        Assert.Equal(Math.Sign(w[largest]) * levels, q[largest]);
        Assert.InRange(q.Max(v => Math.Abs((int)v)), levels, levels);
        for (int i = 0; i < w.Length; i++)
        {
            Assert.True(Math.Abs((q[i] * scale) - w[i]) <= (scale / 2) * (1 + 1e-5), $"value {i}: {w[i]} → {q[i]} · {scale}");
        }

        Assert.Equal(0f, SymmetricQuantization.Quantize(new float[8], q, levels));
        Assert.Null(SymmetricQuantization.Quantize([1f, float.NaN], q, levels));
        Assert.Null(SymmetricQuantization.Quantize([float.PositiveInfinity], q, levels));
    }
}
