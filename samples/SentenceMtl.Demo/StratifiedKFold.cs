namespace SentenceMtl.Demo;

/// <summary>
/// Stratified K-fold splitting (scikit-learn's <c>StratifiedKFold(shuffle=True)</c> in spirit): every stratum is
/// shuffled with the seed and dealt round-robin over the folds, continuing where the previous stratum stopped, so each
/// stratum's share of a fold and the folds' sizes differ by at most one.
/// </summary>
internal static class StratifiedKFold
{
    /// <summary>The stratum of an example: its label per task, joined (an unlabelled task counts as its own value).</summary>
    public static string StratumOf(MultiTaskExample example, IReadOnlyList<TaskDefinition> tasks) =>
        string.Join(" / ", tasks.Select(t => example.Labels.TryGetValue(t.Name, out var label) ? label : "-"));

    /// <summary>Splits positions 0..N-1 into <paramref name="folds"/> held-out sets.</summary>
    /// <param name="strata">The stratum of each example.</param>
    /// <param name="folds">K, from 2 to N.</param>
    /// <param name="seed">Seed of the shuffling: the same seed gives the same folds.</param>
    /// <returns>K sorted arrays of held-out positions; together they hold every position once.</returns>
    public static int[][] Split(IReadOnlyList<string> strata, int folds, long seed)
    {
        ArgumentNullException.ThrowIfNull(strata);
        ArgumentOutOfRangeException.ThrowIfLessThan(folds, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(folds, strata.Count);
        var random = new Random(unchecked((int)seed));
        var heldOut = Enumerable.Range(0, folds).Select(_ => new List<int>()).ToArray();
        int next = 0;
        var groups = Enumerable.Range(0, strata.Count)
            .GroupBy(i => strata[i], StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var group in groups)
        {
            int[] members = [.. group];
            random.Shuffle(members);
            foreach (int i in members)
            {
                heldOut[next++ % folds].Add(i);
            }
        }
        return heldOut.Select(f => f.Order().ToArray()).ToArray();
    }
}
