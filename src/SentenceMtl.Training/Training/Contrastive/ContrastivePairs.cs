namespace SentenceMtl.Training.Contrastive;

/// <summary>
/// SetFit's pair generation with <c>num_iterations</c>: per iteration, per task and per labelled example (the anchor),
/// one positive pair (the anchor and another example of its label) and one negative pair (the anchor and an example of
/// another label), partners drawn uniformly. As SetFit oversamples the scarcer kind to balance them, an anchor alone in
/// its label gets its positive pair from a randomly drawn anchor that has a partner, so positives and negatives are
/// equal in number in every task that has both kinds. A task whose labels all have one example yields no positives;
/// a task with one label yields no negatives; an unlabelled example (class index &lt; 0) is never paired for that task.
/// </summary>
internal static class ContrastivePairs
{
    /// <summary>Most pairs one call may generate before <c>maxPairs</c> applies (12 bytes each).</summary>
    public const long MaxGenerated = 50_000_000;

    /// <summary>Generates the pairs of every task, shuffled together; the same arguments give the same list.</summary>
    /// <param name="labels">Per task, the class index of every example (all arrays of the same length; negative = unlabelled).</param>
    /// <param name="iterations">Pairs per anchor and kind (1 to <see cref="ContrastiveOptions.MaxIterations"/>).</param>
    /// <param name="seed">Seed of the draws and the shuffle.</param>
    /// <param name="maxPairs">
    /// 0 for every pair; else at most this many: whole (positive, negative) couples taken in turn from every (task, anchor
    /// label), earliest iterations first, so every label of every task is represented (as far as the cap allows) and
    /// positives and negatives stay balanced.
    /// </param>
    /// <exception cref="ArgumentException">The label arrays are missing or differ in length, or too many pairs would result.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="iterations"/> or <paramref name="maxPairs"/> is out of range.</exception>
    public static IReadOnlyList<ContrastivePair> Generate(IReadOnlyList<int[]> labels, int iterations, long seed, int maxPairs = 0)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(iterations, ContrastiveOptions.MaxIterations);
        ArgumentOutOfRangeException.ThrowIfNegative(maxPairs);
        CheckShapes(labels);
        long expected = labels.Sum(task => (long)task.Count(c => c >= 0)) * iterations * 2;
        if (expected > MaxGenerated)
        {
            throw new ArgumentException(
                $"{expected:N0} pairs would be generated (at most {MaxGenerated:N0}): lower ContrastiveOptions.Iterations.", nameof(iterations));
        }

        var rng = new Random(unchecked((int)(seed ^ (seed >>> 32))));
        var buckets = new List<List<Couple>>();                                                 // per (task, anchor label), in task then label order
        foreach (var task in labels)
        {
            buckets.AddRange(CouplesOf(task, iterations, rng));
        }

        var pairs = new List<ContrastivePair>();
        if (maxPairs == 0)
        {
            foreach (var couple in buckets.SelectMany(b => b))
            {
                couple.AddTo(pairs, int.MaxValue);
            }
        }
        else
        {
            TakeInTurn(buckets, maxPairs, pairs);
        }

        var shuffled = pairs.ToArray();
        rng.Shuffle(shuffled);
        return shuffled;
    }

    /// <summary>The pairs <paramref name="options"/> asks for: its <see cref="ContrastiveOptions.Iterations"/> and <see cref="ContrastiveOptions.MaxPairs"/>.</summary>
    /// <param name="labels">Per task, the class index of every example (negative = unlabelled).</param>
    /// <param name="options">The settings (validated here).</param>
    /// <param name="seed">Seed of the draws and the shuffle.</param>
    public static IReadOnlyList<ContrastivePair> Generate(IReadOnlyList<int[]> labels, ContrastiveOptions options, long seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return Generate(labels, options.Iterations, seed, options.MaxPairs);
    }

    /// <summary>One anchor slot's pairs: a positive, a negative, or both.</summary>
    private readonly record struct Couple(ContrastivePair? Positive, ContrastivePair? Negative)
    {
        public void AddTo(List<ContrastivePair> pairs, int limit)
        {
            if (Positive is { } positive && pairs.Count < limit)
            {
                pairs.Add(positive);
            }

            if (Negative is { } negative && pairs.Count < limit)
            {
                pairs.Add(negative);
            }
        }
    }

    private static void CheckShapes(IReadOnlyList<int[]> labels)
    {
        for (int t = 0; t < labels.Count; t++)
        {
            if (labels[t] is null)
            {
                throw new ArgumentException($"The labels of task {t} are null; pass one class index per example (-1 = unlabelled).", nameof(labels));
            }

            if (labels[t].Length != labels[0].Length)
            {
                throw new ArgumentException(
                    $"Task {t} has {labels[t].Length} labels and task 0 has {labels[0].Length}; every task needs one class index per example.", nameof(labels));
            }
        }
    }

    /// <summary>The couples of one task, one list per anchor label (labels ascending, iterations then examples in order).</summary>
    private static IEnumerable<List<Couple>> CouplesOf(int[] task, int iterations, Random rng)
    {
        // members: the labelled examples grouped by label (labels ascending); a label's group is members[start, end).
        var members = Enumerable.Range(0, task.Length).Where(i => task[i] >= 0).OrderBy(i => task[i]).ThenBy(i => i).ToArray();
        var labelOrder = members.Select(i => task[i]).Distinct().ToArray();
        var start = new Dictionary<int, int>();
        var count = new Dictionary<int, int>();
        var position = new Dictionary<int, int>();                                             // example → index in members
        for (int k = 0; k < members.Length; k++)
        {
            int label = task[members[k]];
            start.TryAdd(label, k);
            count[label] = count.GetValueOrDefault(label) + 1;
            position[members[k]] = k;
        }

        var withPartner = members.Where(i => count[task[i]] >= 2).ToArray();                   // anchors that can form a positive pair
        bool negatives = labelOrder.Length >= 2;
        var anchors = members.Order().ToArray();                                                // example order
        var buckets = labelOrder.ToDictionary(l => l, _ => new List<Couple>());
        for (int iteration = 0; iteration < iterations; iteration++)
        {
            foreach (int anchor in anchors)
            {
                int label = task[anchor];
                ContrastivePair? positive = null, negative = null;
                if (withPartner.Length > 0)
                {
                    int a = count[label] >= 2 ? anchor : withPartner[rng.Next(withPartner.Length)];
                    int s = start[task[a]], r = rng.Next(count[task[a]] - 1);
                    int partner = members[s + (s + r >= position[a] ? r + 1 : r)];             // any other member of a's label
                    positive = new ContrastivePair(a, partner, 1f);
                }

                if (negatives)
                {
                    int s = start[label], others = members.Length - count[label], r = rng.Next(others);
                    negative = new ContrastivePair(anchor, members[r < s ? r : r + count[label]], 0f); // any member of another label
                }

                buckets[label].Add(new Couple(positive, negative));
            }
        }

        return labelOrder.Select(l => buckets[l]);
    }

    /// <summary>Takes one couple from every bucket in turn (earliest first) until <paramref name="maxPairs"/> pairs are taken or all are.</summary>
    private static void TakeInTurn(List<List<Couple>> buckets, int maxPairs, List<ContrastivePair> pairs)
    {
        for (int round = 0; pairs.Count < maxPairs; round++)
        {
            bool any = false;
            foreach (var bucket in buckets.Where(b => round < b.Count))
            {
                any = true;
                bucket[round].AddTo(pairs, maxPairs);
            }

            if (!any)
            {
                return;
            }
        }
    }
}
