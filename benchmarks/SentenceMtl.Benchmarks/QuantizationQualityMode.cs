namespace SentenceMtl.Benchmarks;

/// <summary>
/// <c>--int8-quality</c>: how far int8 embeddings are from float32 ones, for both embedded models on both whole bench
/// corpora (each model with its own pooling and normalization): cosine per text (mean / min), and the top-10 cosine
/// neighbours of held-out texts (the corpus's last tenth) among the rest, int8 against float32. Prints Markdown.
/// </summary>
internal static class QuantizationQualityMode
{
    /// <summary>Runs the comparison and prints the table.</summary>
    public static int Run()
    {
        Console.WriteLine("### Int8 embeddings against float32 (whole bench corpora; held-out tenth as queries, top 10)");
        Console.WriteLine();
        Console.WriteLine("| model | corpus | texts | cosine mean | cosine min | queries | top-10 overlap mean | top-10 overlap min |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (string model in new[] { "all-MiniLM-L6-v2", "snowflake-arctic-embed-xs" })
        {
            using var floats = SentenceEncoder.FromPretrained(model);
            using var int8 = SentenceEncoder.FromPretrained(model, new SentenceEncoderOptions { Quantization = EncoderQuantization.Int8 });
            foreach (string corpus in new[] { "sentences", "paragraphs" })
            {
                Console.Error.WriteLine($"{model}, {corpus}");
                var texts = File.ReadAllLines(Corpus.PathOf(corpus));
                var expected = floats.Encode(texts);
                var actual = int8.Encode(texts);
                var cosines = expected.Zip(actual, (e, a) => SentenceEncoder.CosineSimilarity(e, a)).ToArray();
                int corpusSize = texts.Length - (texts.Length / 10);
                var exactHits = SemanticSearch.Search(expected[corpusSize..], expected[..corpusSize], 10);
                var int8Hits = SemanticSearch.Search(actual[corpusSize..], actual[..corpusSize], 10);
                var overlaps = exactHits.Zip(int8Hits, (e, a) => e.Select(h => h.CorpusIndex).Intersect(a.Select(h => h.CorpusIndex)).Count() / 10.0).ToArray();
                Console.WriteLine($"| {model} | {corpus} | {texts.Length:N0} | {cosines.Average():F4} | {cosines.Min():F4} | {overlaps.Length:N0} | {overlaps.Average():F3} | {overlaps.Min():F1} |");
            }
        }

        return 0;
    }
}
