namespace SentenceMtl.Search;

/// <summary>
/// The best <c>k</c> (score, index) entries seen so far, in a binary heap with the worst kept entry at the root. Better
/// means a higher score, then a lower index, so the order is total and the result deterministic.
/// </summary>
internal sealed class TopKHeap
{
    private readonly float[] scores;
    private readonly int[] indices;

    /// <summary>An empty heap that keeps at most <paramref name="capacity"/> (at least 1) entries.</summary>
    public TopKHeap(int capacity)
    {
        scores = new float[capacity];
        indices = new int[capacity];
    }

    /// <summary>Most entries kept.</summary>
    public int Capacity => scores.Length;

    /// <summary>Entries kept.</summary>
    public int Count { get; private set; }

    /// <summary>Whether <see cref="Count"/> reached the capacity.</summary>
    public bool IsFull => Count == scores.Length;

    /// <summary>The score of the worst kept entry (meaningful when <see cref="Count"/> &gt; 0).</summary>
    public float WorstScore => scores[0];

    /// <summary>The index of the worst kept entry (meaningful when <see cref="Count"/> &gt; 0).</summary>
    public int WorstIndex => indices[0];

    /// <summary>Whether (<paramref name="s1"/>, <paramref name="i1"/>) ranks above (<paramref name="s2"/>, <paramref name="i2"/>).</summary>
    public static bool Better(float s1, int i1, float s2, int i2) => s1 > s2 || (s1 == s2 && i1 < i2);

    /// <summary>Empties the heap for reuse.</summary>
    public void Clear() => Count = 0;

    /// <summary>Keeps the entry if it ranks among the best <c>k</c> seen.</summary>
    public void Add(float score, int index)
    {
        if (Count < scores.Length)
        {
            int child = Count++;
            while (child > 0)
            {
                int parent = (child - 1) / 2;
                if (!Better(scores[parent], indices[parent], score, index))
                {
                    break;                                                                        // the parent is worse or equal: it stays above
                }

                scores[child] = scores[parent];
                indices[child] = indices[parent];
                child = parent;
            }

            scores[child] = score;
            indices[child] = index;
        }
        else if (Better(score, index, scores[0], indices[0]))
        {
            SiftDown(score, index);
        }
    }

    /// <summary>Offers every kept entry to <paramref name="other"/> (which ranks them with the full order, so any order of offers gives the same result).</summary>
    public void AddAllTo(TopKHeap other)
    {
        for (int i = 0; i < Count; i++)
        {
            other.Add(scores[i], indices[i]);
        }
    }

    /// <summary>The kept entries, best first.</summary>
    public SearchHit[] ToSortedHits()
    {
        var hits = new SearchHit[Count];
        for (int i = 0; i < Count; i++)
        {
            hits[i] = new SearchHit(indices[i], scores[i]);
        }

        Array.Sort(hits, static (a, b) => Better(a.Score, a.CorpusIndex, b.Score, b.CorpusIndex) ? -1 : Better(b.Score, b.CorpusIndex, a.Score, a.CorpusIndex) ? 1 : 0);
        return hits;
    }

    /// <summary>Replaces the root with the entry and restores the heap (the worst entry on top).</summary>
    private void SiftDown(float score, int index)
    {
        int parent = 0;
        while (true)
        {
            int child = (2 * parent) + 1;
            if (child >= Count)
            {
                break;
            }

            if (child + 1 < Count && Better(scores[child], indices[child], scores[child + 1], indices[child + 1]))
            {
                child++;                                                                          // the worse of the two children
            }

            if (!Better(score, index, scores[child], indices[child]))
            {
                break;                                                                            // the entry is worse than both children
            }

            scores[parent] = scores[child];
            indices[parent] = indices[child];
            parent = child;
        }

        scores[parent] = score;
        indices[parent] = index;
    }
}
