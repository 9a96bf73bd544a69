using Microsoft.Extensions.AI;
using SentenceMtl;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers SentenceMtl's embedding generator with dependency injection.</summary>
public static class SentenceMtlServiceCollectionExtensions
{
    /// <summary>
    /// Adds a singleton <see cref="SentenceEncoder"/>, also exposed as <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>
    /// of <c>string</c> and <c>Embedding&lt;float&gt;</c>. The model loads on first resolution and is disposed with the container.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="modelNameOrPath">Anything <see cref="SentenceEncoder.FromPretrained"/> accepts.</param>
    /// <param name="options">Encoder options, or null for the model's defaults.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddSentenceMtlEmbeddingGenerator(this IServiceCollection services,
        string modelNameOrPath = "all-MiniLM-L6-v2", SentenceEncoderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelNameOrPath);
        services.AddSingleton(_ => SentenceEncoder.FromPretrained(modelNameOrPath, options));
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(sp => sp.GetRequiredService<SentenceEncoder>());
        return services;
    }
}
