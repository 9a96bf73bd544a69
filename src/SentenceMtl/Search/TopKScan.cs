namespace SentenceMtl.Search;

/// <summary>
/// Exact top-k of a range of queries over a whole corpus: query chunks run in parallel on the .NET thread pool, each
/// walks the corpus in blocks (ascending index), scores a block into a small buffer and offers the scores to a
/// bounded heap per query. Memory: the heaps plus one block buffer per worker, never queries × corpus.
/// </summary>
internal static class TopKScan
{
    /// <summary>Queries per parallel work item (their rows stay in cache while the corpus streams past).</summary>
    public const int QueryChunk = 16;

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
        var options = new ParallelOptions { CancellationToken = cancellationToken };
        Parallel.For(
            0,
            chunks,
            options,
            () => new float[QueryChunk * CorpusBlock],
            (chunk, _, buffer) =>
            {
                int q0 = first + (chunk * QueryChunk), count = Math.Min(QueryChunk, end - q0);
                ScanChunk(scorer, q0, count, corpusCount, heaps.AsSpan(q0 - first, count), excludeSelf, buffer, cancellationToken);
                return buffer;
            },
            static _ => { });
        cancellationToken.ThrowIfCancellationRequested();
    }

    private static void ScanChunk<TScorer>(TScorer scorer, int q0, int count, int corpusCount, Span<TopKHeap> heaps, bool excludeSelf, float[] buffer, CancellationToken cancellationToken)
        where TScorer : struct, IBlockScorer
    {
        for (int c0 = 0; c0 < corpusCount; c0 += CorpusBlock)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            int block = Math.Min(CorpusBlock, corpusCount - c0);
            scorer.Score(q0, count, c0, block, buffer);
            for (int q = 0; q < count; q++)
            {
                var heap = heaps[q];
                var row = buffer.AsSpan(q * block, block);
                int self = excludeSelf ? q0 + q - c0 : -1;
                for (int c = 0; c < row.Length; c++)
                {
                    // Rows arrive in ascending index, so a score equal to the worst kept one loses the tie.
                    if ((heap.IsFull && row[c] <= heap.WorstScore) || c == self)
                    {
                        continue;
                    }

                    heap.Add(row[c], c0 + c);
                }
            }
        }
    }
}
