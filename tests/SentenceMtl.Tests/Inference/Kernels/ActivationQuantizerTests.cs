using SentenceMtl.Inference.Kernels;

namespace SentenceMtl.Tests.Inference.Kernels;

/// <summary><see cref="ActivationQuantizer"/> and <see cref="SymmetricQuantization"/> against the documented rule, at every width.</summary>
public sealed class ActivationQuantizerTests
{
    /// <summary>Row lengths: BERT's sizes, sizes off every vector (odd ones get a padding 0), and 1.</summary>
    private static readonly int[] Lengths = [384, 1536, 37, 20, 1];

    /// <summary>Each row equals the scalar rule exactly, lies in [−127, 127], puts its largest magnitude at ±127, and pads odd rows with 0.</summary>
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
                int kp = (k + 1) & ~1;
                for (int r = 0; r < rows; r++)
                {
                    var (expected, scale) = Int8Reference.Quantize(x.AsSpan(r * k, k));
                    Assert.Equal(scale, scales[r]);
                    var row = values.AsSpan(r * kp, kp).ToArray();
                    Assert.Equal(expected, row[..k].Select(v => (int)v).ToArray());
                    Assert.InRange(row.Max(v => Math.Abs((int)v)), 127, 127);
                    if (kp != k)
                    {
                        Assert.Equal(0, row[k]);
                    }
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
        Assert.All(values[..k], v => Assert.Equal(0, v));
        Assert.True(float.IsNaN(scales[1]), $"scale of a row with NaN: {scales[1]}");
        Assert.True(float.IsNaN(scales[2]), $"scale of a row with −∞: {scales[2]}");
    }

    /// <summary>Weights: dequantized values within half a step of the originals, the largest exact, a zero row scale 0, NaN refused.</summary>
    [Fact]
    public void Weights_round_trip_within_half_a_step()
    {
        var w = KernelWidths.Normal(5, 1000, 0.05);
        var q = new sbyte[w.Length];
        float scale = SymmetricQuantization.Quantize(w, q)!.Value;
        int largest = Array.IndexOf(w, w.MaxBy(Math.Abs));
        Assert.Equal(Math.Abs(w[largest]) / 127f, scale);
        Assert.Equal(Math.Sign(w[largest]) * 127, q[largest]);
        for (int i = 0; i < w.Length; i++)
        {
            Assert.True(Math.Abs((q[i] * scale) - w[i]) <= (scale / 2) * (1 + 1e-5), $"value {i}: {w[i]} → {q[i]} · {scale}");
        }

        Assert.Equal(0f, SymmetricQuantization.Quantize(new float[8], q));
        Assert.Null(SymmetricQuantization.Quantize([1f, float.NaN], q));
        Assert.Null(SymmetricQuantization.Quantize([float.PositiveInfinity], q));
    }
}
