namespace SentenceMtl.Tests.Search;

public class QuantizationTests
{
    // Per dimension: [0, 255] (step 1), [−255, 255] (step 2), a constant 5.
    private static readonly float[][] Sample = [[0f, -255f, 5f], [255f, 255f, 5f]];

    [Fact]
    public void Int8_follows_sentence_transformers_formula_truncating_and_clipping()
    {
        var calibration = Int8Calibration.FromSample(Sample);
        Assert.Equal([0f, -255f, 5f], calibration.Minimums);
        Assert.Equal([255f, 255f, 5f], calibration.Maximums);
        var codes = calibration.Quantize([[10.7f, 0f, 5f], [300f, -1000f, 6f], [200.5f, 100f, 4f], [0f, -255f, 5f], [255f, 255f, 5f]]);
        Assert.Equal(new sbyte[] { -117, 0, -128 }, codes[0]);                                   // 10.7 − 128 → −117; 127.5 − 128 → −0.5 → 0
        Assert.Equal(new sbyte[] { 127, -128, 127 }, codes[1]);                                  // clipped; above a constant dimension
        Assert.Equal(new sbyte[] { 72, 49, -128 }, codes[2]);
        Assert.Equal(new sbyte[] { -128, -128, -128 }, codes[3]);                                // the minimums
        Assert.Equal(new sbyte[] { 127, 127, -128 }, codes[4]);                                  // the maximums
        Assert.Equal([200f, 99f, 5f], calibration.Dequantize(codes[2]));                         // min + (code + 128) · step
    }

    [Fact]
    public void Int8_round_trip_stays_within_two_steps()
    {
        var embeddings = SearchReference.Random(300, 33, seed: 40);
        var calibration = Int8Calibration.FromSample(embeddings);
        var codes = calibration.Quantize(embeddings);
        for (int i = 0; i < embeddings.Length; i++)
        {
            var back = calibration.Dequantize(codes[i]);
            for (int d = 0; d < 33; d++)
            {
                float step = (calibration.Maximums[d] - calibration.Minimums[d]) / 255f;
                Assert.InRange(back[d] - embeddings[i][d], -2.0001f * step, 2.0001f * step);       // truncation toward zero: up to one step either way around code 0
            }
        }
    }

    [Fact]
    public void Int8_calibration_refuses_bad_input()
    {
        Assert.Contains("sample is empty", Assert.Throws<ArgumentException>(() => Int8Calibration.FromSample([])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Int8Calibration.FromRanges([0f, 1f], [1f]));
        Assert.Contains("Dimension 1", Assert.Throws<ArgumentException>(() => Int8Calibration.FromRanges([0f, 1f], [1f, 0f])).Message, StringComparison.Ordinal);
        var calibration = Int8Calibration.FromRanges([0f, 0f], [1f, 1f]);
        Assert.Contains("calibration has 2", Assert.Throws<ArgumentException>(() => calibration.Quantize([[1f, 2f, 3f]])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => calibration.Dequantize([1]));
    }

    [Fact]
    public void Binary_packs_positive_values_most_significant_bit_first_like_numpy_packbits()
    {
        float[] row = [0.5f, -1f, 0f, 2f, 3f, -0.1f, 0.2f, 1e-9f, 4f, -4f];                    // bits 1001 1011 | 10(00 0000)
        var packed = BinaryQuantization.Quantize([row, [.. row.Select(_ => -1f)]]);
        Assert.Equal(new byte[] { 0x9B, 0x80 }, packed[0]);
        Assert.Equal(new byte[] { 0, 0 }, packed[1]);
        Assert.Equal(2, BinaryQuantization.PackedLength(10));
        Assert.Equal(6, BinaryQuantization.HammingDistance(packed[0], packed[1]));
    }

    [Fact]
    public void Hamming_distance_counts_differing_bits_over_words_and_tail()
    {
        var random = new Random(41);
        for (int length = 1; length < 40; length++)
        {
            var a = new byte[length];
            var b = new byte[length];
            random.NextBytes(a);
            random.NextBytes(b);
            int expected = 0;
            for (int i = 0; i < length * 8; i++)
            {
                expected += ((a[i / 8] >> (i % 8)) & 1) != ((b[i / 8] >> (i % 8)) & 1) ? 1 : 0;
            }

            Assert.Equal(expected, BinaryQuantization.HammingDistance(a, b));
        }

        Assert.Throws<ArgumentException>(() => BinaryQuantization.HammingDistance([1], [1, 2]));
    }

    [Fact]
    public void Int8_inner_product_is_exact_for_every_length_and_extreme_codes()
    {
        var random = new Random(47);
        for (int length = 1; length <= 100; length++)
        {
            var a = new sbyte[length];
            var b = new sbyte[length];
            for (int i = 0; i < length; i++)
            {
                (a[i], b[i]) = random.Next(3) == 0 ? ((sbyte)-128, (sbyte)-128) : ((sbyte)random.Next(-128, 128), (sbyte)random.Next(-128, 128));
            }

            Assert.Equal(IntDot(a, b), global::SentenceMtl.Search.Int8Scorer.Dot(a, b));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Int8_search_ranks_by_code_inner_product_then_rescores_with_the_float_query(bool rescore)
    {
        var corpus = SearchReference.Random(500, 40, seed: 42);
        var queries = SearchReference.Random(21, 40, seed: 43);
        var calibration = Int8Calibration.FromSample(corpus);
        var codes = calibration.Quantize(corpus);
        var queryCodes = calibration.Quantize(queries);
        var options = new QuantizedSearchOptions { Rescore = rescore, RescoreMultiplier = 3 };
        var hits = SemanticSearch.SearchInt8(queries, codes, calibration, 7, options);

        var candidates = SearchReference.TopK(queries.Length, corpus.Length, rescore ? 21 : 7, (q, c) => IntDot(queryCodes[q], codes[c]));
        for (int q = 0; q < queries.Length; q++)
        {
            var expected = rescore
                ? candidates[q].Select(h => new SearchHit(h.CorpusIndex, EmbeddingSimilarity.Compute(queries[q], calibration.Dequantize(codes[h.CorpusIndex]), SimilarityFunction.DotProduct)))
                    .Order(Comparer<SearchHit>.Create(SearchReference.Compare)).Take(7).ToArray()
                : candidates[q];
            Assert.Equal(expected, hits[q]);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Binary_search_ranks_by_hamming_distance_then_rescores_with_the_float_query(bool rescore)
    {
        var corpus = SearchReference.Random(500, 45, seed: 44);
        var queries = SearchReference.Random(21, 45, seed: 45);
        var packed = BinaryQuantization.Quantize(corpus);
        var packedQueries = BinaryQuantization.Quantize(queries);
        var options = new QuantizedSearchOptions { Rescore = rescore, RescoreMultiplier = 3 };
        var hits = SemanticSearch.SearchBinary(queries, packed, 7, options);

        var candidates = SearchReference.TopK(queries.Length, corpus.Length, rescore ? 21 : 7, (q, c) => -BinaryQuantization.HammingDistance(packedQueries[q], packed[c]));
        for (int q = 0; q < queries.Length; q++)
        {
            var expected = rescore
                ? candidates[q].Select(h => new SearchHit(h.CorpusIndex, SumWhereSet(queries[q], corpus[h.CorpusIndex])))
                    .Order(Comparer<SearchHit>.Create(SearchReference.Compare)).Take(7).ToArray()
                : candidates[q];
            Assert.Equal(expected, hits[q]);
        }
    }

    [Fact]
    public void Quantized_search_refuses_mismatched_corpora()
    {
        var queries = SearchReference.Random(2, 10, seed: 46);
        var calibration = Int8Calibration.FromSample(queries);
        Assert.Contains("corpus[1] has 9 values but 10", Assert.Throws<ArgumentException>(() => SemanticSearch.SearchInt8(queries, [new sbyte[10], new sbyte[9]], calibration, 1)).Message, StringComparison.Ordinal);
        Assert.Contains("corpus[0] has 1 values but 2", Assert.Throws<ArgumentException>(() => SemanticSearch.SearchBinary(queries, [new byte[1]], 1)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => SemanticSearch.SearchBinary(queries, [new byte[2]], 1, new QuantizedSearchOptions { RescoreMultiplier = 0 }));
        Assert.All(SemanticSearch.SearchBinary(queries, [], 3), Assert.Empty);
        Assert.Empty(SemanticSearch.SearchInt8([], [new sbyte[10]], calibration, 3));
    }

    private static float IntDot(sbyte[] a, sbyte[] b)
    {
        int sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    /// <summary>The query · the corpus row's bits unpacked to 0/1, summed in dimension order.</summary>
    private static float SumWhereSet(float[] query, float[] row)
    {
        float sum = 0f;
        for (int d = 0; d < query.Length; d++)
        {
            sum += row[d] > 0f ? query[d] : 0f;
        }

        return sum;
    }
}
