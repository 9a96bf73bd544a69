namespace SentenceMtl;

/// <summary>How <see cref="SemanticSearch.SearchInt8"/> and <see cref="SemanticSearch.SearchBinary"/> rescore.</summary>
public sealed record QuantizedSearchOptions
{
    /// <summary>
    /// Whether the quantized search's candidates are re-ranked with the float queries (sentence-transformers'
    /// <c>rescore</c>, default true). Without it, scores are the quantized ones (int8 inner products, negated Hamming
    /// distances).
    /// </summary>
    public bool Rescore { get; init; } = true;

    /// <summary>
    /// Candidates per query for rescoring, as a multiple of top-k (sentence-transformers' <c>rescore_multiplier</c>),
    /// at least 1. Default 4 (sentence-transformers' is 2): int8 search then keeps nearly all of float search's top
    /// hits. Binary search rescored against its own bits gains little from more candidates; for high recall take
    /// more candidates without rescoring and pass them to <see cref="SemanticSearch.Rescore"/>.
    /// </summary>
    public int RescoreMultiplier { get; init; } = 4;
}
