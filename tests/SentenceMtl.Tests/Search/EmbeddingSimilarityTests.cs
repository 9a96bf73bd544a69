namespace SentenceMtl.Tests.Search;

public class EmbeddingSimilarityTests
{
    /// <summary>The score in double precision, straight from the definitions.</summary>
    private static double Reference(float[] a, float[] b, SimilarityFunction function)
    {
        double dot = 0, na = 0, nb = 0, l2 = 0, l1 = 0;
        for (int d = 0; d < a.Length; d++)
        {
            dot += (double)a[d] * b[d];
            na += (double)a[d] * a[d];
            nb += (double)b[d] * b[d];
            l2 += ((double)a[d] - b[d]) * ((double)a[d] - b[d]);
            l1 += Math.Abs((double)a[d] - b[d]);
        }

        return function switch
        {
            SimilarityFunction.Cosine => na * nb == 0 ? 0 : dot / Math.Sqrt(na * nb),
            SimilarityFunction.DotProduct => dot,
            SimilarityFunction.Euclidean => -Math.Sqrt(l2),
            _ => -l1,
        };
    }

    [Theory]
    [InlineData(SimilarityFunction.Cosine, 384)]
    [InlineData(SimilarityFunction.DotProduct, 384)]
    [InlineData(SimilarityFunction.Euclidean, 384)]
    [InlineData(SimilarityFunction.Manhattan, 384)]
    [InlineData(SimilarityFunction.Cosine, 13)]
    [InlineData(SimilarityFunction.DotProduct, 3)]
    public void Compute_matches_the_definitions_in_double_precision(SimilarityFunction function, int dimension)
    {
        var a = SearchReference.Random(19, dimension, seed: 1);
        var b = SearchReference.Random(270, dimension, seed: 2);                                  // crosses a corpus block, odd tiles
        var scores = EmbeddingSimilarity.Compute(a, b, function);
        Assert.Equal(19, scores.GetLength(0));
        Assert.Equal(270, scores.GetLength(1));
        for (int i = 0; i < a.Length; i++)
        {
            for (int j = 0; j < b.Length; j++)
            {
                double expected = Reference(a[i], b[j], function);
                Assert.True(Math.Abs(scores[i, j] - expected) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"[{i}, {j}]: {scores[i, j]} vs {expected}");
                Assert.Equal(scores[i, j], EmbeddingSimilarity.Compute(a[i], b[j], function));
            }
        }
    }

    [Theory]
    [InlineData(SimilarityFunction.Cosine)]
    [InlineData(SimilarityFunction.DotProduct)]
    [InlineData(SimilarityFunction.Euclidean)]
    [InlineData(SimilarityFunction.Manhattan)]
    public void Compute_of_a_set_with_itself_is_exactly_symmetric(SimilarityFunction function)
    {
        var a = SearchReference.Random(23, 37, seed: 3);
        var scores = EmbeddingSimilarity.Compute(a, a, function);
        for (int i = 0; i < a.Length; i++)
        {
            for (int j = 0; j < a.Length; j++)
            {
                Assert.Equal(scores[i, j], scores[j, i]);
            }
        }
    }

    [Theory]
    [InlineData(SimilarityFunction.Cosine)]
    [InlineData(SimilarityFunction.DotProduct)]
    [InlineData(SimilarityFunction.Euclidean)]
    [InlineData(SimilarityFunction.Manhattan)]
    public void A_pair_scores_the_same_bits_from_any_copy_in_either_order(SimilarityFunction function)
    {
        // Copies land at different addresses (alignments modulo a vector); the score must not depend on them.
        var pair = SearchReference.Random(2, 384, seed: 6);
        var copies = Enumerable.Range(0, 16).Select(i => (X: (float[])pair[0].Clone(), Pad: new float[i], Y: (float[])pair[1].Clone())).ToList();
        float expected = EmbeddingSimilarity.Compute(pair[0], pair[1], function);
        Assert.All(copies, c =>
        {
            Assert.Equal(expected, EmbeddingSimilarity.Compute(c.X, c.Y, function));
            Assert.Equal(expected, EmbeddingSimilarity.Compute(c.Y, c.X, function));
        });
    }

    [Fact]
    public void Cosine_of_a_zero_vector_is_zero()
    {
        float[][] a = [[0f, 0f, 0f], [1f, 0f, 0f]];
        var scores = EmbeddingSimilarity.Compute(a, a);
        Assert.Equal(0f, scores[0, 0]);
        Assert.Equal(0f, scores[0, 1]);
        Assert.Equal(1f, scores[1, 1]);
    }

    [Fact]
    public void Empty_sets_give_empty_matrices()
    {
        var b = SearchReference.Random(3, 4, seed: 4);
        Assert.Equal((0, 3), Shape(EmbeddingSimilarity.Compute([], b)));
        Assert.Equal((3, 0), Shape(EmbeddingSimilarity.Compute(b, [])));
    }

    [Fact]
    public void Bad_arguments_are_refused_naming_the_row()
    {
        var good = SearchReference.Random(3, 4, seed: 5);
        Assert.Throws<ArgumentNullException>(() => EmbeddingSimilarity.Compute(null!, good));
        Assert.Contains("b[2] has 5 values but b[0] has 4", Assert.Throws<ArgumentException>(() => EmbeddingSimilarity.Compute(good, [[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4, 5]])).Message, StringComparison.Ordinal);
        Assert.Contains("a[1] is null", Assert.Throws<ArgumentException>(() => EmbeddingSimilarity.Compute([[1f], null!], [[1f]])).Message, StringComparison.Ordinal);
        Assert.Contains("a[0] has no values", Assert.Throws<ArgumentException>(() => EmbeddingSimilarity.Compute([[]], [[1f]])).Message, StringComparison.Ordinal);
        Assert.Contains("a have 4 dimensions but b have 3", Assert.Throws<ArgumentException>(() => EmbeddingSimilarity.Compute(good, [[1f, 2f, 3f]])).Message, StringComparison.Ordinal);
        Assert.Contains("b[0] holds NaN", Assert.Throws<ArgumentException>(() => EmbeddingSimilarity.Compute(good, [[1f, float.NaN, 3f, 4f]])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => EmbeddingSimilarity.Compute(good, good, (SimilarityFunction)9));
        Assert.Throws<ArgumentException>(() => EmbeddingSimilarity.Compute([1f, 2f], [1f]));
    }

    private static (int, int) Shape(float[,] m) => (m.GetLength(0), m.GetLength(1));
}
