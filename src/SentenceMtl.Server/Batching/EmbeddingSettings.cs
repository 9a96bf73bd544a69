namespace SentenceMtl.Server.Batching;

/// <summary>The per-request options of an embedding: <c>null</c> values keep the encoder's own setting.</summary>
/// <param name="Normalize">L2-normalize, or null for the model's setting.</param>
/// <param name="Dimensions">Keep the first N values (renormalized when normalizing), or null for all.</param>
internal readonly record struct EmbeddingSettings(bool? Normalize, int? Dimensions)
{
    /// <summary>The same settings as <see cref="SentenceEncoder.Encode(IEnumerable{string}, EncodeOptions?, CancellationToken)"/> takes them.</summary>
    public EncodeOptions ToEncodeOptions() => new() { Normalize = Normalize, TruncateDimension = Dimensions };
}
