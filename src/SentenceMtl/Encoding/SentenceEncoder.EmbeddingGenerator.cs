using Microsoft.Extensions.AI;

namespace SentenceMtl;

// Microsoft.Extensions.AI: a SentenceEncoder is an IEmbeddingGenerator<string, Embedding<float>>.
public sealed partial class SentenceEncoder : IEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>The provider name reported in <see cref="EmbeddingGeneratorMetadata"/>.</summary>
    public const string ProviderName = "SentenceMtl";

    /// <summary>
    /// Embeds <paramref name="values"/> (batched, thread-safe). <see cref="EmbeddingGenerationOptions.Dimensions"/>
    /// keeps the first N components and re-normalizes them to unit length (Matryoshka-style truncation).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Dimensions is not positive or exceeds <see cref="Dimension"/>.</exception>
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(values);
        int dimensions = options?.Dimensions ?? Dimension;
        if (dimensions <= 0 || dimensions > Dimension)
        {
            throw new ArgumentOutOfRangeException(nameof(options), dimensions,
                $"Dimensions must be between 1 and the model's embedding size ({Dimension}).");
        }

        var texts = values as IReadOnlyList<string> ?? values.ToArray();
        // Truncated vectors are renormalized to unit length, as OpenAI's dimensions parameter does.
        var encodeOptions = dimensions == Dimension ? null : new EncodeOptions { TruncateDimension = dimensions, Normalize = true };
        return Task.Run(() =>
        {
            var vectors = Encode(texts, encodeOptions, cancellationToken);
            var created = DateTimeOffset.UtcNow;
            var embeddings = vectors.Select(v => new Embedding<float>(v) { ModelId = ModelId, CreatedAt = created });
            return new GeneratedEmbeddings<Embedding<float>>(embeddings);
        }, cancellationToken);
    }

    /// <summary>
    /// Returns <see cref="EmbeddingGeneratorMetadata"/> (provider, model id, dimensions) or this encoder when asked for
    /// its own type; null otherwise.
    /// </summary>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType == typeof(EmbeddingGeneratorMetadata))
        {
            return new EmbeddingGeneratorMetadata(ProviderName, providerUri: null, defaultModelId: ModelId, defaultModelDimensions: Dimension);
        }

        return serviceType.IsInstanceOfType(this) ? this : null;
    }
}
