namespace SentenceMtl.Search;

/// <summary>
/// Exact top-k of a range of queries over a whole corpus. Work items are (query chunk, corpus segment) pairs run in
/// parallel on the .NET thread pool; each walks its segment in blocks (ascending index), scores a block into a small
/// buffer and offers the scores to a bounded heap per query. The corpus is split into segments only when there are
/// too few query chunks to occupy every core; each extra segment has its own heaps, merged afterwards. Memory: the
/// heaps plus one block buffer per worker, never queries × corpus.
/// </summary>
internal static class TopKScan
{
    /// <summary>
    /// Queries per work item: their rows stay in cache while the corpus streams past, so each corpus row read from
    /// memory feeds this many dot products.
    /// </summary>
    public const int QueryChunk = 64;

    /// <summary>Corpus rows scored per block.</summary>
    public const int CorpusBlock = 256;

    /// <summary>
    /// Fills heaps[q − first] with the best corpus rows of queries [first, end). With <paramref name="excludeSelf"/>,
    /// query q skips corpus row q (queries and corpus are the same set).
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static void Run<TScorer>(TScorer scorer, int first, int end, int corpusCount, TopKHeap[] heaps, bool excludeSelf, CancellationToken cancellationToken)
        where TScorer : struct, IBlockScorer
    {
        int chunks = (end - first + QueryChunk - 1) / QueryChunk;
        int blocks = (corpusCount + CorpusBlock - 1) / CorpusBlock;
        if (chunks == 0 || blocks == 0)
        {
            return;
        }

        int segments = Segments(chunks, blocks);
        int segmentBlocks = (blocks + segments - 1) / segments;
        var extra = ExtraHeaps(segments, segmentBlocks * CorpusBlock, heaps);                    // [segment − 1][query]
        var options = new ParallelOptions { CancellationToken = cancellationToken };
        Parallel.For(
            0,
            chunks * segments,
            options,
            () => new float[QueryChunk * CorpusBlock],
            (item, _, buffer) =>
            {
                int chunk = item / segments, segment = item % segments;
                int q0 = first + (chunk * QueryChunk), count = Math.Min(QueryChunk, end - q0);
                int c0 = segment * segmentBlocks * CorpusBlock, c1 = Math.Min(corpusCount, c0 + (segmentBlocks * CorpusBlock));
                var target = (segment == 0 ? heaps : extra[segment - 1]).AsSpan(q0 - first, count);
                ScanChunk(scorer, q0, count, c0, c1, target, excludeSelf, buffer, cancellationToken);
                return buffer;
            },
            static _ => { });
        cancellationToken.ThrowIfCancellationRequested();
        foreach (var segmentHeaps in extra)
        {
            for (int q = 0; q < heaps.Length; q++)
            {
                segmentHeaps[q].AddAllTo(heaps[q]);
            }
        }
    }

    /// <summary>
    /// Into how many segments to cut <paramref name="blocks"/> corpus blocks so that <paramref name="chunks"/> query
    /// chunks make about two work items per core: 1 when the chunks alone suffice.
    /// </summary>
    public static int Segments(int chunks, int blocks) =>
        chunks >= Environment.ProcessorCount ? 1 : Math.Clamp(2 * Environment.ProcessorCount / chunks, 1, blocks);

    /// <summary>Heaps for segments 1.. (each at most a segment's length), none when there is one segment.</summary>
    private static TopKHeap[][] ExtraHeaps(int segments, int segmentLength, TopKHeap[] heaps)
    {
        var extra = new TopKHeap[segments - 1][];
        for (int s = 0; s < extra.Length; s++)
        {
            extra[s] = Array.ConvertAll(heaps, h => new TopKHeap(Math.Min(h.Capacity, segmentLength)));
        }

        return extra;
    }

    private static void ScanChunk<TScorer>(
        TScorer scorer, int q0, int count, int c0, int c1, Span<TopKHeap> heaps, bool excludeSelf, float[] buffer, CancellationToken cancellationToken)
        where TScorer : struct, IBlockScorer
    {
        for (int b0 = c0; b0 < c1; b0 += CorpusBlock)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            int block = Math.Min(CorpusBlock, c1 - b0);
            scorer.Score(q0, count, b0, block, buffer);
            for (int q = 0; q < count; q++)
            {
                var heap = heaps[q];
                var row = buffer.AsSpan(q * block, block);
                int self = excludeSelf ? q0 + q - b0 : -1;
                for (int c = 0; c < row.Length; c++)
                {
                    // Rows arrive in ascending index, so a score equal to the worst kept one loses the tie.
                    if ((heap.IsFull && row[c] <= heap.WorstScore) || c == self)
                    {
                        continue;
                    }

                    heap.Add(row[c], b0 + c);
                }
            }
        }
    }
}
