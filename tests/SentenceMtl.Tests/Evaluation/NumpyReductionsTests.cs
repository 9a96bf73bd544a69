using SentenceMtl.Evaluation;

namespace SentenceMtl.Tests.Evaluation;

// Expected values were printed by NumPy 1.24 (np.sum, np.nanmean, np.average) on the same arrays.
public class NumpyReductionsTests
{
    // 0.1 * (i % 7 + 1) for i < 200: enough elements for the 8-accumulator block and the recursive split.
    private static double[] Values() => Enumerable.Range(0, 200).Select(i => 0.1 * ((i % 7) + 1)).ToArray();

    [Fact]
    public void Sum_uses_numpys_pairwise_order()
    {
        double[] values = Values();

        Assert.Equal(79.4, NumpyReductions.Sum(values));
        Assert.NotEqual(NumpyReductions.Sum(values), values.Sum()); // a left-to-right sum ends elsewhere
    }

    [Fact]
    public void NanAverage_without_weights_is_nanmean()
    {
        double[] values = Values();
        values[3] = double.NaN;

        Assert.Equal(0.3969849246231156, NumpyReductions.NanAverage(values));
        Assert.True(double.IsNaN(NumpyReductions.NanAverage([double.NaN, double.NaN])));
    }

    [Fact]
    public void NanAverage_with_weights_drops_nan_entries_and_their_weights()
    {
        Assert.Equal(0.75, NumpyReductions.NanAverage([0.5, double.NaN, 1.0], [1, 5, 1]));
        Assert.Equal(0.5, NumpyReductions.NanAverage([0.0, 1.0], [0, 0])); // weights sum to 0: plain mean
    }
}
