namespace SentenceMtl.Tests.Search;

/// <summary>Finite embeddings whose values square past float's range (around 1e20 and up) still score finite: cosine
/// in [-1, 1] as for the same vectors scaled down, the other functions saturated at ±float.MaxValue; an int8
/// calibration whose range overflows is refused; a null candidate list is an ArgumentNullException.</summary>
public class HugeValueTests
{
    private const float Huge = 1e30f;

    public static TheoryData<SimilarityFunction> Functions =>
        [SimilarityFunction.Cosine, SimilarityFunction.DotProduct, SimilarityFunction.Euclidean, SimilarityFunction.Manhattan];

    [Theory]
    [MemberData(nameof(Functions))]
    public void Search_similarity_and_mining_give_finite_scores_for_huge_finite_vectors(SimilarityFunction function)
    {
        var corpus = Scaled(SearchReference.Random(40, 19, seed: 70), Huge);
        var queries = Scaled(SearchReference.Random(5, 19, seed: 71), Huge);

        var hits = SemanticSearch.Search(queries, corpus, 7, function);
        var matrix = EmbeddingSimilarity.Compute(queries, corpus, function);
        var pairs = SemanticSearch.ParaphraseMining(corpus, 3, function);
        float pair = EmbeddingSimilarity.Compute(queries[0], corpus[0], function);

        Assert.All(hits.SelectMany(h => h), hit => AssertFinite(function, hit.Score));
        Assert.All(matrix.Cast<float>(), score => AssertFinite(function, score));
        Assert.All(pairs, p => AssertFinite(function, p.Score));
        AssertFinite(function, pair);
        Assert.Equal(matrix[0, 0], pair);
    }

    [Fact]
    public void Cosine_of_huge_vectors_equals_cosine_of_the_same_vectors_scaled_down()
    {
        var corpus = SearchReference.Random(30, 19, seed: 72);
        var queries = SearchReference.Random(4, 19, seed: 73);

        var huge = EmbeddingSimilarity.Compute(Scaled(queries, Huge), Scaled(corpus, Huge));
        var plain = EmbeddingSimilarity.Compute(queries, corpus);

        for (int q = 0; q < queries.Length; q++)
        {
            for (int c = 0; c < corpus.Length; c++)
            {
                Assert.Equal(plain[q, c], huge[q, c], 1e-5f);
            }
        }
    }

    [Fact]
    public void A_dot_product_past_floats_range_saturates_instead_of_infinity_or_nan()
    {
        float[] big = [3e38f, 3e38f];
        float[] mixed = [3e38f, -3e38f, 3e38f];

        Assert.Equal(float.MaxValue, EmbeddingSimilarity.Compute(big, big, SimilarityFunction.DotProduct));
        Assert.Equal(-float.MaxValue, EmbeddingSimilarity.Compute(big, [-3e38f, -3e38f], SimilarityFunction.DotProduct));
        // Float sums +inf and -inf here (NaN); in double the terms are 9e76 - 9e76 + 9e76.
        Assert.Equal(float.MaxValue, EmbeddingSimilarity.Compute(mixed, mixed, SimilarityFunction.DotProduct));
        Assert.Equal(1f, EmbeddingSimilarity.Compute(mixed, mixed), 1e-6f);
        Assert.Equal(-float.MaxValue, EmbeddingSimilarity.Compute(big, [-3e38f, -3e38f], SimilarityFunction.Euclidean));
    }

    [Fact]
    public void Int8_calibration_from_a_sample_refuses_a_range_that_overflows_as_from_ranges_does()
    {
        float[][] sample = [[-3e38f, 0f], [3e38f, 1f]];

        var fromSample = Assert.Throws<ArgumentException>(() => Int8Calibration.FromSample(sample));
        var fromRanges = Assert.Throws<ArgumentException>(() => Int8Calibration.FromRanges([-3e38f, 0f], [3e38f, 1f]));

        Assert.Contains("Dimension 0", fromSample.Message, StringComparison.Ordinal);
        Assert.Contains("overflows", fromSample.Message, StringComparison.Ordinal);
        Assert.Equal("sample", fromSample.ParamName);
        Assert.Contains("overflows", fromRanges.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Quantized_searches_rescore_huge_vectors_to_finite_scores()
    {
        var corpus = Scaled(SearchReference.Random(40, 16, seed: 74), 1e37f);
        var queries = Scaled(SearchReference.Random(3, 16, seed: 75), 1e37f);
        var calibration = Int8Calibration.FromSample(corpus);

        var int8 = SemanticSearch.SearchInt8(queries, calibration.Quantize(corpus), calibration, 5);
        var binary = SemanticSearch.SearchBinary(queries, BinaryQuantization.Quantize(corpus), 5);

        Assert.All(int8.SelectMany(h => h), hit => Assert.True(float.IsFinite(hit.Score), $"{hit.Score}"));
        Assert.All(binary.SelectMany(h => h), hit => Assert.True(float.IsFinite(hit.Score), $"{hit.Score}"));
    }

    [Fact]
    public void Rescore_with_a_null_candidate_list_is_an_argument_null_exception()
    {
        float[][] queries = [[1f, 2f], [2f, 1f]];
        IReadOnlyList<IReadOnlyList<SearchHit>> candidates = [[new SearchHit(0, 0f)], null!];

        var error = Assert.Throws<ArgumentNullException>(() => SemanticSearch.Rescore(queries, candidates, _ => [1f, 1f], 1));

        Assert.Equal("candidates", error.ParamName);
        Assert.Contains("query 1", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => SemanticSearch.Rescore(queries, null!, _ => [1f, 1f], 1));
    }

    private static void AssertFinite(SimilarityFunction function, float score)
    {
        Assert.True(float.IsFinite(score), $"{function}: {score}");
        if (function == SimilarityFunction.Cosine)
        {
            Assert.InRange(score, -1f, 1f);
        }
    }

    private static float[][] Scaled(float[][] rows, float factor) => Array.ConvertAll(rows, row => Array.ConvertAll(row, v => v * factor));
}
