using SentenceMtl.Search;

namespace SentenceMtl;

public static partial class SemanticSearch
{
    /// <summary>Most sentences whose top-k lists are computed together before their pairs are collected.</summary>
    private const int MiningBlock = 1024;

    /// <summary>Most list entries of one block: a large top-k takes fewer sentences per block (at least one query chunk).</summary>
    private const int MiningEntries = 1 << 22;

    /// <summary>
    /// Likely paraphrases among <paramref name="embeddings"/>, as sentence-transformers' <c>paraphrase_mining</c>: for
    /// every sentence its <paramref name="topK"/> most similar other sentences, as pairs (i &lt; j) without duplicates,
    /// best first (ties: lower <see cref="ParaphrasePair.First"/>, then lower <see cref="ParaphrasePair.Second"/>).
    /// </summary>
    /// <param name="embeddings">The sentences' embeddings (may be empty).</param>
    /// <param name="topK">Neighbours per sentence, at least 1 (a sentence is never its own neighbour).</param>
    /// <param name="function">The similarity; cosine by default.</param>
    /// <param name="maxPairs">Most pairs returned (the best ones), at least 1; sentence-transformers' default.</param>
    /// <param name="cancellationToken">Stops the work between corpus blocks.</param>
    /// <returns>At most <paramref name="maxPairs"/> pairs, best first.</returns>
    /// <remarks>
    /// Sentences are processed in blocks (1,024, fewer for a large top-k): their top-k lists are computed in parallel, then turned into pairs.
    /// A pair (j, i) with j &lt; i found from i is kept only when i is not in j's own list, which is known from the
    /// worst entry of j's list alone (scores are symmetric to the bit), so memory is one block of lists, two numbers
    /// per sentence and the <paramref name="maxPairs"/> best pairs, never sentences × sentences.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="embeddings"/> is null.</exception>
    /// <exception cref="ArgumentException">A row is null, empty, not finite, or of another dimension (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="topK"/> or <paramref name="maxPairs"/> is below 1, or <paramref name="function"/> is not defined.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static IReadOnlyList<ParaphrasePair> ParaphraseMining(
        float[][] embeddings, int topK, SimilarityFunction function = SimilarityFunction.Cosine, int maxPairs = 500_000, CancellationToken cancellationToken = default)
    {
        EmbeddingChecks.Dimension(embeddings, nameof(embeddings));
        EmbeddingChecks.TopK(topK, nameof(topK));
        EmbeddingChecks.Function(function, nameof(function));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPairs);
        cancellationToken.ThrowIfCancellationRequested();
        int n = embeddings.Length, k = Math.Min(topK, n - 1);
        if (k <= 0)
        {
            return [];
        }

        var scorer = new FloatScorer(embeddings, embeddings, function);
        int blockSize = Math.Clamp(MiningEntries / k, TopKScan.QueryChunk, MiningBlock);
        var lists = new Lists(n, k, blockSize);
        var best = new PriorityQueue<ParaphrasePair, ParaphrasePair>(Math.Min(maxPairs, 1 << 16), WorseFirst.Instance);
        for (int first = 0; first < n; first += blockSize)
        {
            int end = Math.Min(n, first + blockSize);
            var heaps = lists.Block(end - first);
            TopKScan.Run(scorer, first, end, n, heaps, excludeSelf: true, cancellationToken);
            lists.RecordWorst(first, heaps);
            for (int i = first; i < end; i++)
            {
                foreach (var hit in heaps[i - first].ToSortedHits())
                {
                    int j = hit.CorpusIndex;
                    if (j > i || !lists.Contains(j, i, hit.Score))
                    {
                        Offer(best, new ParaphrasePair(Math.Min(i, j), Math.Max(i, j), hit.Score), maxPairs);
                    }
                }
            }
        }

        var pairs = new ParaphrasePair[best.Count];
        for (int i = pairs.Length - 1; i >= 0; i--)
        {
            pairs[i] = best.Dequeue();                                                            // worst first out, so fill from the end
        }

        return pairs;
    }

    private static void Offer(PriorityQueue<ParaphrasePair, ParaphrasePair> best, ParaphrasePair pair, int maxPairs)
    {
        if (best.Count < maxPairs)
        {
            best.Enqueue(pair, pair);
        }
        else
        {
            best.EnqueueDequeue(pair, pair);
        }
    }

    /// <summary>The worst entry of every finished sentence's list, and reusable heaps for one block.</summary>
    private sealed class Lists(int sentences, int k, int blockSize)
    {
        private readonly float[] worstScore = new float[sentences];
        private readonly int[] worstIndex = new int[sentences];
        private readonly TopKHeap[] heaps = CreateHeaps(Math.Min(blockSize, sentences), k);

        /// <summary>The first <paramref name="count"/> heaps, emptied.</summary>
        public TopKHeap[] Block(int count)
        {
            foreach (var heap in heaps)
            {
                heap.Clear();
            }

            return count == heaps.Length ? heaps : heaps[..count];
        }

        /// <summary>Remembers the worst entry of each list of the block starting at <paramref name="first"/>.</summary>
        public void RecordWorst(int first, TopKHeap[] block)
        {
            for (int i = 0; i < block.Length; i++)
            {
                worstScore[first + i] = block[i].WorstScore;
                worstIndex[first + i] = block[i].WorstIndex;
            }
        }

        /// <summary>
        /// Whether <paramref name="other"/>, scoring <paramref name="score"/> against <paramref name="owner"/>, is in
        /// owner's (full, k = min(topK, n − 1) entries) list: it ranks at or above the list's worst entry.
        /// </summary>
        public bool Contains(int owner, int other, float score) =>
            worstIndex[owner] == other || TopKHeap.Better(score, other, worstScore[owner], worstIndex[owner]);

        private static TopKHeap[] CreateHeaps(int count, int k)
        {
            var heaps = new TopKHeap[count];
            for (int i = 0; i < count; i++)
            {
                heaps[i] = new TopKHeap(k);
            }

            return heaps;
        }
    }

    /// <summary>Orders pairs worst first: lower score, then higher First, then higher Second.</summary>
    private sealed class WorseFirst : IComparer<ParaphrasePair>
    {
        public static readonly WorseFirst Instance = new();

        public int Compare(ParaphrasePair x, ParaphrasePair y)
        {
            int byScore = x.Score.CompareTo(y.Score);
            if (byScore != 0)
            {
                return byScore;
            }

            int byFirst = y.First.CompareTo(x.First);
            return byFirst != 0 ? byFirst : y.Second.CompareTo(x.Second);
        }
    }
}
