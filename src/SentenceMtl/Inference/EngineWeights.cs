using SentenceMtl.Inference.Kernels;
using SentenceMtl.Inference.Vectors;
using SentenceMtl.Modeling.Bert;

namespace SentenceMtl.Inference;

/// <summary>
/// A BERT encoder's weights in the engine's layout: the embedding tables and layer norms as aligned copies, every
/// linear layer packed for one vector width (a layer's query, key and value side by side as one (3H, H) product).
/// Built once from a frozen model's state dict; nothing here changes afterwards.
/// </summary>
internal sealed class EngineWeights
{
    private EngineWeights(EmbeddingWeights embeddings, LayerWeights[] layers)
    {
        Embeddings = embeddings;
        Layers = layers;
    }

    /// <summary>The embeddings block.</summary>
    public EmbeddingWeights Embeddings { get; }

    /// <summary>The transformer layers, lowest first.</summary>
    public IReadOnlyList<LayerWeights> Layers { get; }

    /// <summary>Copies and packs the weights the engine needs from a state dict (Hugging Face names, no prefix).</summary>
    /// <param name="config">The encoder's configuration (sizes of every weight).</param>
    /// <param name="weight">The values of a named weight, row-major; called once per name.</param>
    /// <param name="width">The vector width the products will run at.</param>
    /// <exception cref="ArgumentException">A weight is missing or has another number of values than the configuration implies.</exception>
    public static EngineWeights Create(BertConfig config, Func<string, float[]?> weight, VectorWidth width)
    {
        int h = config.HiddenSize, i = config.IntermediateSize;
        ReadOnlyMemory<float> Get(string name, long count) =>
            weight(name) is { } values && values.Length == count ? values
            : throw new ArgumentException($"The state dict has no weight '{name}' of {count} values (the configuration's size).", nameof(weight));
        AlignedBuffer Copy(string name, long count)
        {
            var buffer = new AlignedBuffer(count);
            Get(name, count).Span.CopyTo(buffer.Span);
            return buffer;
        }

        PackedLinear Linear(string name, int outFeatures, int inFeatures) =>
            PackedLinear.Pack(Get(name + ".weight", (long)outFeatures * inFeatures).Span, outFeatures, inFeatures, Get(name + ".bias", outFeatures).Span, width);

        var embeddings = new EmbeddingWeights(
            Copy("embeddings.word_embeddings.weight", (long)config.VocabSize * h),
            Copy("embeddings.position_embeddings.weight", (long)config.MaxPositionEmbeddings * h),
            Copy("embeddings.token_type_embeddings.weight", (long)config.TypeVocabSize * h),
            new LayerNormWeights(Copy("embeddings.LayerNorm.weight", h), Copy("embeddings.LayerNorm.bias", h), (float)config.LayerNormEps));
        var layers = new LayerWeights[config.NumHiddenLayers];
        for (int l = 0; l < layers.Length; l++)
        {
            string prefix = $"encoder.layer.{l}.";
            layers[l] = new LayerWeights(
                QueryKeyValue(prefix + "attention.self.", h, Get, width),
                Linear(prefix + "attention.output.dense", h, h),
                new LayerNormWeights(Copy(prefix + "attention.output.LayerNorm.weight", h), Copy(prefix + "attention.output.LayerNorm.bias", h), (float)config.LayerNormEps),
                Linear(prefix + "intermediate.dense", i, h),
                Linear(prefix + "output.dense", h, i),
                new LayerNormWeights(Copy(prefix + "output.LayerNorm.weight", h), Copy(prefix + "output.LayerNorm.bias", h), (float)config.LayerNormEps));
        }

        return new EngineWeights(embeddings, layers);
    }

    /// <summary>Query, key and value stacked into one (3H, H) product, so attention reads one row of 3H per token.</summary>
    private static PackedLinear QueryKeyValue(string prefix, int h, Func<string, long, ReadOnlyMemory<float>> get, VectorWidth width)
    {
        var weight = new float[3L * h * h];
        var bias = new float[3 * h];
        string[] parts = ["query", "key", "value"];
        for (int p = 0; p < parts.Length; p++)
        {
            get($"{prefix}{parts[p]}.weight", (long)h * h).Span.CopyTo(weight.AsSpan(p * h * h));
            get($"{prefix}{parts[p]}.bias", h).Span.CopyTo(bias.AsSpan(p * h));
        }

        return PackedLinear.Pack(weight, 3 * h, h, bias, width);
    }
}

/// <summary>A layer norm's γ and β (<c>LayerNorm.weight</c>, <c>LayerNorm.bias</c>) and ε.</summary>
internal sealed record LayerNormWeights(AlignedBuffer Gamma, AlignedBuffer Beta, float Epsilon);

/// <summary>The embeddings block: word, position and token-type tables (rows of H), then a layer norm.</summary>
internal sealed record EmbeddingWeights(AlignedBuffer Words, AlignedBuffer Positions, AlignedBuffer TokenTypes, LayerNormWeights Norm);

/// <summary>One transformer layer's weights.</summary>
internal sealed record LayerWeights(
    PackedLinear QueryKeyValue,
    PackedLinear AttentionOutput,
    LayerNormWeights AttentionNorm,
    PackedLinear Intermediate,
    PackedLinear Output,
    LayerNormWeights OutputNorm);
