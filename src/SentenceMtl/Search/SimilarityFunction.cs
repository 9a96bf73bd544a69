namespace SentenceMtl;

/// <summary>
/// How two embeddings are compared, as sentence-transformers' <c>SimilarityFunction</c>. Every function returns a score
/// where larger means more similar: the two distances are returned negated, as sentence-transformers does.
/// </summary>
/// <remarks>Configuration files name them as <see cref="SimilarityFunctions.Parse"/> reads them.</remarks>
public enum SimilarityFunction
{
    /// <summary>Cosine similarity, in [-1, 1]; a zero vector has similarity 0 with everything (sentence-transformers' <c>"cosine"</c>).</summary>
    Cosine,

    /// <summary>The dot product; equals <see cref="Cosine"/> for normalized embeddings (sentence-transformers' <c>"dot"</c>).</summary>
    DotProduct,

    /// <summary>The negated Euclidean (L2) distance (sentence-transformers' <c>"euclidean"</c>).</summary>
    Euclidean,

    /// <summary>The negated Manhattan (L1) distance (sentence-transformers' <c>"manhattan"</c>).</summary>
    Manhattan,
}
