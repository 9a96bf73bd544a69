using SentenceMtl.Tests.Encoding;
using Xunit.Abstractions;

namespace SentenceMtl.Tests.Search;

/// <summary>
/// Retrieval quality of quantized search on real embeddings: 2,000 lines of the bench corpus embedded by
/// all-MiniLM-L6-v2, 200 held-out lines as queries, top-10 recall against exact float cosine search.
/// </summary>
[Collection(EmbeddedEncodersCollection.Name)]
public sealed class QuantizedRetrievalTests(EmbeddedEncoders encoders, ITestOutputHelper output)
{
    private const int TopK = 10;

    [Fact]
    public void Int8_and_rescored_binary_search_find_what_float_search_finds()
    {
        var lines = File.ReadLines(TestPaths.Sentences).Take(2200).ToArray();
        var corpus = encoders.MiniLm.Encode(lines[..2000]);
        var queries = encoders.MiniLm.Encode(lines[2000..]);
        var exact = SemanticSearch.Search(queries, corpus, TopK);

        var calibration = Int8Calibration.FromSample(corpus);
        var codes = calibration.Quantize(corpus);
        var bits = BinaryQuantization.Quantize(corpus);
        var noRescore = new QuantizedSearchOptions { Rescore = false };
        double int8 = Recall(exact, SemanticSearch.SearchInt8(queries, codes, calibration, TopK));
        double int8Raw = Recall(exact, SemanticSearch.SearchInt8(queries, codes, calibration, TopK, noRescore));
        double hamming = Recall(exact, SemanticSearch.SearchBinary(queries, bits, TopK, noRescore));
        double againstBits = Recall(exact, SemanticSearch.SearchBinary(queries, bits, TopK));

        // Two stages: 10 × top-k candidates by Hamming distance, re-ranked against the floats or the int8 codes.
        var candidates = SemanticSearch.SearchBinary(queries, bits, 10 * TopK, noRescore);
        double againstFloats = Recall(exact, SemanticSearch.Rescore(queries, candidates, c => corpus[c], TopK));
        double againstInt8 = Recall(exact, SemanticSearch.Rescore(queries, candidates, c => calibration.Dequantize(codes[c]), TopK));

        output.WriteLine($"top-{TopK} recall vs float: int8 ×4 {int8:F3} (no rescore {int8Raw:F3}); binary: Hamming {hamming:F3}, ×4 against bits {againstBits:F3}, ×10 against floats {againstFloats:F3}, ×10 against int8 {againstInt8:F3}");
        Assert.True(int8 >= 0.95, $"int8 top-{TopK} recall {int8:F3} < 0.95");
        Assert.True(againstFloats >= 0.90, $"binary rescored against floats: top-{TopK} recall {againstFloats:F3} < 0.90");
        Assert.True(againstInt8 >= 0.90, $"binary rescored against int8: top-{TopK} recall {againstInt8:F3} < 0.90");
        Assert.True(int8 > int8Raw && againstBits > hamming, "rescoring must improve on the quantized ranking");
    }

    /// <summary>The mean share of each exact top-k list that <paramref name="found"/> also returned.</summary>
    private static double Recall(IReadOnlyList<IReadOnlyList<SearchHit>> exact, IReadOnlyList<IReadOnlyList<SearchHit>> found)
    {
        double sum = 0;
        for (int q = 0; q < exact.Count; q++)
        {
            var expected = exact[q].Select(h => h.CorpusIndex).ToHashSet();
            sum += (double)found[q].Count(h => expected.Contains(h.CorpusIndex)) / expected.Count;
        }

        return sum / exact.Count;
    }
}
