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
    /// <param name="read">Reads a named weight; called once per name.</param>
    /// <param name="width">The vector width the products will run at.</param>
    /// <param name="int8">Whether the linear layers are quantized to int8.</param>
    /// <exception cref="ArgumentException">A weight is missing or has another number of values than the configuration implies.</exception>
    public static EngineWeights Create(BertConfig config, WeightReader read, VectorWidth width, bool int8)
    {
        int h = config.HiddenSize, i = config.IntermediateSize;
        var scratch = new float[Math.Max(3L * h * h, (long)i * h)];                            // every linear layer's weight is read into it and packed
        var biasScratch = new float[Math.Max(3 * h, i)];
        void Read(string name, Span<float> destination)
        {
            if (!read(name, destination))
            {
                throw new ArgumentException($"The state dict has no weight '{name}' of {destination.Length} values (the configuration's size).", nameof(read));
            }
        }

        AlignedBuffer Copy(string name, long count)
        {
            var buffer = new AlignedBuffer(count);
            Read(name, buffer.Span);
            return buffer;
        }

        EngineLinear Linear(string name, int outFeatures, int inFeatures)
        {
            var weight = scratch.AsSpan(0, outFeatures * inFeatures);
            var bias = biasScratch.AsSpan(0, outFeatures);
            Read(name + ".weight", weight);
            Read(name + ".bias", bias);
            return EngineLinear.Create(weight, outFeatures, inFeatures, bias, width, int8);
        }

        EngineLinear QueryKeyValue(string prefix)                                              // query, key and value stacked into one (3H, H) product
        {
            string[] parts = ["query", "key", "value"];
            for (int p = 0; p < parts.Length; p++)
            {
                Read($"{prefix}{parts[p]}.weight", scratch.AsSpan(p * h * h, h * h));
                Read($"{prefix}{parts[p]}.bias", biasScratch.AsSpan(p * h, h));
            }

            return EngineLinear.Create(scratch.AsSpan(0, 3 * h * h), 3 * h, h, biasScratch.AsSpan(0, 3 * h), width, int8);
        }

        var embeddings = new EmbeddingWeights(
            WordEmbeddings.Create(config.VocabSize, h, int8, table => Read("embeddings.word_embeddings.weight", table)),
            Copy("embeddings.position_embeddings.weight", (long)config.MaxPositionEmbeddings * h),
            Copy("embeddings.token_type_embeddings.weight", (long)config.TypeVocabSize * h),
            new LayerNormWeights(Copy("embeddings.LayerNorm.weight", h), Copy("embeddings.LayerNorm.bias", h), (float)config.LayerNormEps));
        var layers = new LayerWeights[config.NumHiddenLayers];
        for (int l = 0; l < layers.Length; l++)
        {
            string prefix = $"encoder.layer.{l}.";
            layers[l] = new LayerWeights(
                QueryKeyValue(prefix + "attention.self."),
                Linear(prefix + "attention.output.dense", h, h),
                new LayerNormWeights(Copy(prefix + "attention.output.LayerNorm.weight", h), Copy(prefix + "attention.output.LayerNorm.bias", h), (float)config.LayerNormEps),
                Linear(prefix + "intermediate.dense", i, h),
                Linear(prefix + "output.dense", h, i),
                new LayerNormWeights(Copy(prefix + "output.LayerNorm.weight", h), Copy(prefix + "output.LayerNorm.bias", h), (float)config.LayerNormEps));
        }

        return new EngineWeights(embeddings, layers);
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
