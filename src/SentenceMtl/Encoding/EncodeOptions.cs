namespace SentenceMtl;

/// <summary>
/// Per-call settings of <see cref="SentenceEncoder.Encode(IEnumerable{string}, EncodeOptions?, CancellationToken)"/>, as
/// sentence-transformers' <c>encode(prompt=…, prompt_name=…, normalize_embeddings=…, truncate_dim=…, batch_size=…)</c>.
/// A <c>null</c> value keeps the encoder's own setting.
/// </summary>
public sealed record EncodeOptions
{
    /// <summary>Options that change nothing: the encoder's settings and its default prompt, if it has one.</summary>
    public static EncodeOptions Default { get; } = new();

    /// <summary>
    /// Text put before every sentence (e.g. <c>"query: "</c>); <c>""</c> applies no prompt, not even the model's default.
    /// Cannot be combined with <see cref="PromptName"/>.
    /// </summary>
    public string? Prompt { get; init; }

    /// <summary>
    /// A key of <see cref="SentenceEncoder.Prompts"/> (from the model's <c>config_sentence_transformers.json</c>, e.g.
    /// snowflake-arctic-embed-xs's <c>"query"</c>) whose text is put before every sentence. When neither this nor
    /// <see cref="Prompt"/> is set, the model's <see cref="SentenceEncoder.DefaultPromptName"/> applies, if any.
    /// </summary>
    public string? PromptName { get; init; }

    /// <summary>L2-normalize the embeddings; <c>null</c> = <see cref="SentenceEncoder.Normalize"/>.</summary>
    public bool? Normalize { get; init; }

    /// <summary>
    /// Keep only the first N values of each embedding (Matryoshka truncation), then L2-normalize them if normalizing;
    /// <c>null</c> keeps all <see cref="SentenceEncoder.Dimension"/> values. Allowed: 1 to the model's dimension.
    /// </summary>
    public int? TruncateDimension { get; init; }

    /// <summary>Most sentences per forward pass; <c>null</c> = <see cref="SentenceEncoder.BatchSize"/>. Allowed: 1 or more.</summary>
    public int? BatchSize { get; init; }

    /// <summary>
    /// Told how many sentences are embedded after each batch (from the threads that embed them, in increasing order of
    /// <see cref="EncodeProgress.Encoded"/>); <c>null</c> for no reports.
    /// </summary>
    public IProgress<EncodeProgress>? Progress { get; init; }
}
