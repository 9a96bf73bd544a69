using SentenceMtl.Inference.Kernels;
using SentenceMtl.Inference.Vectors;
using SentenceMtl.Modeling.Bert;

namespace SentenceMtl.Inference;

/// <summary>
/// A BERT encoder's weights in the engine's layout: the embedding tables and layer norms as aligned copies, every
/// linear layer packed for one vector width, in float32 or int8 (a layer's query, key and value side by side as one (3H, H) product).
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

    /// <summary>Bytes held by all the weights (the engine's share of memory that does not depend on the batch).</summary>
    public long Bytes
    {
        get
        {
            static long Floats(params AlignedBuffer[] buffers) => buffers.Sum(b => (long)b.Length * sizeof(float));
            static long Norm(LayerNormWeights n) => Floats(n.Gamma, n.Beta);
            var e = Embeddings;
            return e.Words.Bytes + Floats(e.Positions, e.TokenTypes) + Norm(e.Norm) + Layers.Sum(l =>
                l.QueryKeyValue.Bytes + l.AttentionOutput.Bytes + Norm(l.AttentionNorm) + l.Intermediate.Bytes + l.Output.Bytes + Norm(l.OutputNorm));
        }
    }

    /// <summary>Copies and packs the weights the engine needs from a state dict (Hugging Face names, no prefix).</summary>
    /// <param name="config">The encoder's configuration (sizes of every weight).</param>
    /// <param name="weight">The values of a named weight, row-major; called once per name.</param>
    /// <param name="width">The vector width the products will run at.</param>
    /// <param name="int8">Whether the linear layers are quantized to int8.</param>
    /// <exception cref="ArgumentException">A weight is missing or has another number of values than the configuration implies.</exception>
    public static EngineWeights Create(BertConfig config, Func<string, float[]?> weight, VectorWidth width, bool int8)
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

        EngineLinear Linear(string name, int outFeatures, int inFeatures) =>
            EngineLinear.Create(Get(name + ".weight", (long)outFeatures * inFeatures).Span, outFeatures, inFeatures, Get(name + ".bias", outFeatures).Span, width, int8);

        var embeddings = new EmbeddingWeights(
            WordEmbeddings.Create(Get("embeddings.word_embeddings.weight", (long)config.VocabSize * h).Span, config.VocabSize, h, int8),
            Copy("embeddings.position_embeddings.weight", (long)config.MaxPositionEmbeddings * h),
            Copy("embeddings.token_type_embeddings.weight", (long)config.TypeVocabSize * h),
            new LayerNormWeights(Copy("embeddings.LayerNorm.weight", h), Copy("embeddings.LayerNorm.bias", h), (float)config.LayerNormEps));
        var layers = new LayerWeights[config.NumHiddenLayers];
        for (int l = 0; l < layers.Length; l++)
        {
            string prefix = $"encoder.layer.{l}.";
            layers[l] = new LayerWeights(
                QueryKeyValue(prefix + "attention.self.", h, Get, width, int8),
                Linear(prefix + "attention.output.dense", h, h),
                new LayerNormWeights(Copy(prefix + "attention.output.LayerNorm.weight", h), Copy(prefix + "attention.output.LayerNorm.bias", h), (float)config.LayerNormEps),
                Linear(prefix + "intermediate.dense", i, h),
                Linear(prefix + "output.dense", h, i),
                new LayerNormWeights(Copy(prefix + "output.LayerNorm.weight", h), Copy(prefix + "output.LayerNorm.bias", h), (float)config.LayerNormEps));
        }

        return new EngineWeights(embeddings, layers);
    }

    /// <summary>Query, key and value stacked into one (3H, H) product, so attention reads one row of 3H per token.</summary>
    private static EngineLinear QueryKeyValue(string prefix, int h, Func<string, long, ReadOnlyMemory<float>> get, VectorWidth width, bool int8)
    {
        var weight = new float[3L * h * h];
        var bias = new float[3 * h];
        string[] parts = ["query", "key", "value"];
        for (int p = 0; p < parts.Length; p++)
        {
            get($"{prefix}{parts[p]}.weight", (long)h * h).Span.CopyTo(weight.AsSpan(p * h * h));
            get($"{prefix}{parts[p]}.bias", h).Span.CopyTo(bias.AsSpan(p * h));
        }

        return EngineLinear.Create(weight, 3 * h, h, bias, width, int8);
    }
}

/// <summary>A layer norm's γ and β (<c>LayerNorm.weight</c>, <c>LayerNorm.bias</c>) and ε.</summary>
internal sealed record LayerNormWeights(AlignedBuffer Gamma, AlignedBuffer Beta, float Epsilon);

/// <summary>The embeddings block: word (float32 or int8), position and token-type tables (rows of H), then a layer norm.</summary>
internal sealed record EmbeddingWeights(WordEmbeddings Words, AlignedBuffer Positions, AlignedBuffer TokenTypes, LayerNormWeights Norm);

/// <summary>One transformer layer's weights.</summary>
internal sealed record LayerWeights(
    EngineLinear QueryKeyValue,
    EngineLinear AttentionOutput,
    LayerNormWeights AttentionNorm,
    EngineLinear Intermediate,
    EngineLinear Output,
    LayerNormWeights OutputNorm);
