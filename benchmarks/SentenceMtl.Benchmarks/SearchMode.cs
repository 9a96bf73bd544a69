using System.Diagnostics;
using System.Numerics.Tensors;

namespace SentenceMtl.Benchmarks;

/// <summary>
/// <c>--search</c>: exact top-10 cosine search of 1,000 queries (the first 1,000 bench paragraphs) over 10,000 corpus
/// embeddings (the bench sentences), all embedded by the default model: <see cref="SemanticSearch.Search"/> beside
/// a plain LINQ loop and beside <see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/> per pair
/// (one thread and <see cref="Parallel.For(int, int, Action{int})"/>), checking that all find the same hits; then int8
/// and binary search with their recall. Prints Markdown on standard output, progress on standard error.
/// </summary>
internal static class SearchMode
{
    private const int TopK = 10;
    private const int Rounds = 3;

    /// <summary>Two hit lists agree where they differ only between hits whose scores are this close (rounding).</summary>
    private const float TieTolerance = 1e-5f;

    private static readonly TextWriter Log = Console.Error;

    /// <summary>Runs the comparison; 1 when a baseline finds other hits.</summary>
    public static int Run()
    {
        Log.WriteLine("Embedding 10,000 sentences and 1,000 paragraphs…");
        float[][] corpus, queries;
        using (var encoder = SentenceEncoder.FromPretrained(BenchmarkEnvironment.ModelName))
        {
            corpus = encoder.Encode(Corpus.Load("sentences", 10_000).Texts);
            queries = encoder.Encode(Corpus.Load("paragraphs", 1_000).Texts);
        }

        Log.WriteLine("Searching…");
        var exact = SemanticSearch.Search(queries, corpus, TopK);
        var calibration = Int8Calibration.FromSample(corpus);
        var codes = calibration.Quantize(corpus);
        var bits = BinaryQuantization.Quantize(corpus);
        var noRescore = new QuantizedSearchOptions { Rescore = false };
        (string Name, Func<IReadOnlyList<IReadOnlyList<SearchHit>>> Run, int Rounds, bool Exact)[] methods =
        [
            ("**`SemanticSearch.Search`** (tiles, heaps, `Parallel.For`)", () => SemanticSearch.Search(queries, corpus, TopK), Rounds, true),
            ("plain LINQ: `SentenceEncoder.CosineSimilarity` per pair, `OrderByDescending().Take(10)`", () => Linq(queries, corpus), 1, true),
            ("`TensorPrimitives.Dot` per pair, top-10 by insertion, one thread", () => DotPerPair(queries, corpus, parallel: false), Rounds, true),
            ("`TensorPrimitives.Dot` per pair, top-10 by insertion, `Parallel.For` over queries", () => DotPerPair(queries, corpus, parallel: true), Rounds, true),
            ("`SearchInt8` (int8 codes, ×4 rescored against dequantized codes)", () => SemanticSearch.SearchInt8(queries, codes, calibration, TopK), Rounds, false),
            ("`SearchBinary` (Hamming, ×4 rescored against the bits)", () => SemanticSearch.SearchBinary(queries, bits, TopK), Rounds, false),
            ("`SearchBinary` ×10 unrescored + `Rescore` against the floats", () => SemanticSearch.Rescore(queries, SemanticSearch.SearchBinary(queries, bits, 10 * TopK, noRescore), c => corpus[c], TopK), Rounds, false),
        ];

        Console.WriteLine($"Top-{TopK} cosine search: {queries.Length:N0} queries × {corpus.Length:N0} corpus embeddings ({corpus[0].Length} dimensions, {BenchmarkEnvironment.ModelName}), {Environment.ProcessorCount} cores; best of {Rounds} runs (LINQ: one).");
        Console.WriteLine();
        Console.WriteLine("| method | queries/s | same hits as `Search` | top-10 recall |");
        Console.WriteLine("|---|---:|---|---:|");
        bool agree = true;
        foreach (var (name, run, rounds, isExact) in methods)
        {
            Log.WriteLine(name);
            var hits = run();                                                                   // warm-up, and the hits checked
            double seconds = Enumerable.Range(0, rounds).Min(_ => Time(run));
            var (same, nearTies, differ) = Compare(exact, hits);
            agree &= !isExact || differ == 0;
            string check = isExact ? $"{same:N0} identical, {nearTies:N0} differ only at near-ties, {differ:N0} differ" : "(approximate)";
            Console.WriteLine($"| {name} | {queries.Length / seconds:N0} | {check} | {Recall(exact, hits):F3} |");
        }

        return agree ? 0 : 1;
    }

    private static double Time(Func<IReadOnlyList<IReadOnlyList<SearchHit>>> run)
    {
        long start = Stopwatch.GetTimestamp();
        run();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static IReadOnlyList<IReadOnlyList<SearchHit>> Linq(float[][] queries, float[][] corpus) =>
        [.. queries.Select(q => (IReadOnlyList<SearchHit>)[.. corpus
            .Select((c, i) => new SearchHit(i, SentenceEncoder.CosineSimilarity(q, c)))
            .OrderByDescending(h => h.Score).ThenBy(h => h.CorpusIndex).Take(TopK)])];

    private static IReadOnlyList<IReadOnlyList<SearchHit>> DotPerPair(float[][] queries, float[][] corpus, bool parallel)
    {
        // The embeddings are normalized, so the dot product is the cosine.
        var results = new IReadOnlyList<SearchHit>[queries.Length];
        void One(int q)
        {
            // The best TopK so far, best first, kept by insertion; a later row needs a strictly higher score.
            var best = new SearchHit[TopK];
            int count = 0;
            for (int c = 0; c < corpus.Length; c++)
            {
                float score = TensorPrimitives.Dot(queries[q], corpus[c]);
                if (count == TopK && score <= best[TopK - 1].Score)
                {
                    continue;
                }

                int at = Math.Min(count, TopK - 1);
                for (; at > 0 && best[at - 1].Score < score; at--)
                {
                    best[at] = best[at - 1];
                }

                best[at] = new SearchHit(c, score);
                count = Math.Min(count + 1, TopK);
            }

            results[q] = best[..count];
        }

        if (parallel)
        {
            Parallel.For(0, queries.Length, One);
        }
        else
        {
            for (int q = 0; q < queries.Length; q++)
            {
                One(q);
            }
        }

        return results;
    }

    /// <summary>Per query: identical index lists, lists that differ only where reference scores are within <see cref="TieTolerance"/>, other differences.</summary>
    private static (int Same, int NearTies, int Differ) Compare(IReadOnlyList<IReadOnlyList<SearchHit>> reference, IReadOnlyList<IReadOnlyList<SearchHit>> other)
    {
        int same = 0, nearTies = 0, differ = 0;
        for (int q = 0; q < reference.Count; q++)
        {
            var a = reference[q];
            var b = other[q];
            if (a.Select(h => h.CorpusIndex).SequenceEqual(b.Select(h => h.CorpusIndex)))
            {
                same++;
            }
            else if (a.Count == b.Count && Enumerable.Range(0, a.Count).All(r => Math.Abs(a[r].Score - b[r].Score) <= TieTolerance))
            {
                nearTies++;                                                                     // same scores rank by rank: only near-equal hits swapped
            }
            else
            {
                differ++;
            }
        }

        return (same, nearTies, differ);
    }

    private static double Recall(IReadOnlyList<IReadOnlyList<SearchHit>> exact, IReadOnlyList<IReadOnlyList<SearchHit>> found) =>
        Enumerable.Range(0, exact.Count).Average(q => (double)found[q].Count(h => exact[q].Any(e => e.CorpusIndex == h.CorpusIndex)) / exact[q].Count);
}
