namespace SentenceMtl.Evaluation;

/// <summary>
/// The float reductions scikit-learn's averages go through, in NumPy's summation order, so the averaged metrics
/// agree to the last bit (a last-bit difference can flip a rounding tie in the printed report).
/// </summary>
internal static class NumpyReductions
{
    // NumPy's pairwise summation: below 8 elements a plain loop, up to this block size 8 interleaved accumulators,
    // above it a recursive split (numpy/_core/src/umath/loops_utils.h.src, PW_BLOCKSIZE).
    private const int PairwiseBlockSize = 128;

    /// <summary><c>np.sum</c> of a float64 array: the identity 0.0 plus the pairwise sum.</summary>
    public static double Sum(ReadOnlySpan<double> values) => 0.0 + PairwiseSum(values);

    /// <summary>
    /// scikit-learn's <c>_nanaverage</c> (sklearn/utils/extmath.py): NaN entries are ignored; without weights it is
    /// <c>np.nanmean</c>; with weights <c>np.average</c> over the non-NaN entries, falling back to their plain mean
    /// when those weights sum to zero. NaN when nothing is left to average.
    /// </summary>
    public static double NanAverage(IReadOnlyList<double> values, IReadOnlyList<int>? weights = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        int kept = values.Count(v => !double.IsNaN(v));
        if (kept == 0)
        {
            return double.NaN;
        }

        if (weights is null)
        {
            // np.nanmean replaces NaN by 0 in place (it does not drop them), sums, divides by the non-NaN count.
            double[] zeroed = values.Select(v => double.IsNaN(v) ? 0.0 : v).ToArray();
            return Sum(zeroed) / kept;
        }

        if (weights.Count != values.Count)
        {
            throw new ArgumentException(
                $"Expected one weight per value; got {weights.Count} weights for {values.Count} values.", nameof(weights));
        }

        // _nanaverage drops the NaN entries (and their weights), then calls np.average.
        var a = new double[kept];
        var w = new double[kept];
        for (int i = 0, j = 0; i < values.Count; i++)
        {
            if (!double.IsNaN(values[i]))
            {
                a[j] = values[i];
                w[j] = weights[i];
                j++;
            }
        }

        double scale = Sum(w);
        if (scale == 0.0)
        {
            return Sum(a) / kept; // np.average raised ZeroDivisionError: the unweighted mean
        }

        var products = new double[kept];
        for (int i = 0; i < kept; i++)
        {
            products[i] = a[i] * w[i];
        }

        return Sum(products) / scale;
    }

    private static double PairwiseSum(ReadOnlySpan<double> a)
    {
        int n = a.Length;
        if (n < 8)
        {
            double res = 0.0;
            foreach (double x in a)
            {
                res += x;
            }

            return res;
        }

        if (n <= PairwiseBlockSize)
        {
            Span<double> r = stackalloc double[8];
            a[..8].CopyTo(r);
            int i = 8;
            for (; i < n - (n % 8); i += 8)
            {
                for (int j = 0; j < 8; j++)
                {
                    r[j] += a[i + j];
                }
            }

            double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; i < n; i++)
            {
                res += a[i];
            }

            return res;
        }

        int half = n / 2;
        half -= half % 8;
        return PairwiseSum(a[..half]) + PairwiseSum(a[half..]);
    }
}
