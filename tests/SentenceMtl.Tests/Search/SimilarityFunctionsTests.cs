namespace SentenceMtl.Tests.Search;

public class SimilarityFunctionsTests
{
    [Theory]
    [InlineData("cosine", SimilarityFunction.Cosine)]
    [InlineData("dot", SimilarityFunction.DotProduct)]
    [InlineData("euclidean", SimilarityFunction.Euclidean)]
    [InlineData("manhattan", SimilarityFunction.Manhattan)]
    public void Parse_reads_sentence_transformers_names_and_GetName_writes_them_back(string name, SimilarityFunction function)
    {
        Assert.Equal(function, SimilarityFunctions.Parse(name));
        Assert.Equal(name, SimilarityFunctions.GetName(function));
    }

    [Theory]
    [InlineData("Cosine")]
    [InlineData("dot_product")]
    [InlineData("")]
    public void Parse_rejects_other_names_listing_the_valid_ones(string name)
    {
        var ex = Assert.Throws<ArgumentException>(() => SimilarityFunctions.Parse(name));
        Assert.Equal("name", ex.ParamName);
        Assert.Contains("\"cosine\", \"dot\", \"euclidean\", \"manhattan\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_rejects_null_and_GetName_undefined_values()
    {
        Assert.Throws<ArgumentNullException>(() => SimilarityFunctions.Parse(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => SimilarityFunctions.GetName((SimilarityFunction)42));
    }
}
