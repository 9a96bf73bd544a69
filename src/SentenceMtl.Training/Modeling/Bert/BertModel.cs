using TorchSharp;
using static TorchSharp.torch;

namespace SentenceMtl.Modeling.Bert;

/// <summary>
/// The BERT encoder with Hugging Face's module tree, so its state-dict keys are exactly those of
/// <c>transformers.BertModel</c> (<c>embeddings.word_embeddings.weight</c> … <c>pooler.dense.bias</c>).
/// </summary>
internal sealed class BertModel : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly BertEmbeddings embeddings;
    private readonly BertEncoder encoder;
    private readonly BertPooler? pooler;

    /// <param name="config">A validated configuration.</param>
    /// <param name="addPoolingLayer">Whether to create <c>pooler.dense</c> (Hugging Face's add_pooling_layer).</param>
    public BertModel(BertConfig config, bool addPoolingLayer = true) : base(nameof(BertModel))
    {
        config.Validate();
        Config = config;
        embeddings = new BertEmbeddings(config);
        encoder = new BertEncoder(config);
        pooler = addPoolingLayer ? new BertPooler(config) : null;
        RegisterComponents();
    }

    /// <summary>The configuration the model was built from.</summary>
    public BertConfig Config { get; }

    /// <summary>Whether the model has the pooler (<c>pooler.dense.*</c> keys).</summary>
    public bool HasPooler => pooler is not null;

    /// <summary>The embeddings block.</summary>
    public BertEmbeddings Embeddings => embeddings;

    /// <summary>The transformer layers, lowest first.</summary>
    public IReadOnlyList<BertLayer> Layers => encoder.Layers;

    /// <summary>Last hidden states for a padded batch (token types all 0).</summary>
    /// <param name="input_ids">(B, T) int64 token ids.</param>
    /// <param name="attention_mask">(B, T) 1 for real tokens, 0 for padding (any integer or bool dtype).</param>
    /// <returns>(B, T, H) last hidden states.</returns>
    public override Tensor forward(Tensor input_ids, Tensor attention_mask)
    {
        using var token_type_ids = zeros_like(input_ids);                                       // (B, T)
        return forward(input_ids, attention_mask, token_type_ids);
    }

    /// <summary>
    /// Pack (drop padding from everything but attention) when real tokens are fewer than this fraction of B·T.
    /// 0 never packs, 1 packs whenever there is padding. Both paths compute the same values.
    /// </summary>
    public double PackingThreshold { get; set; } = 0.9;

    /// <summary>Last hidden states with explicit token types.</summary>
    /// <param name="input_ids">(B, T) int64.</param>
    /// <param name="attention_mask">(B, T).</param>
    /// <param name="token_type_ids">(B, T) int64.</param>
    /// <returns>(B, T, H), zeros at padded positions when the batch was packed.</returns>
    public Tensor forward(Tensor input_ids, Tensor attention_mask, Tensor token_type_ids)
    {
        using var scope = NewDisposeScope();
        long B = input_ids.shape[0], T = input_ids.shape[1];
        var keep = attention_mask.to_type(ScalarType.Bool);                                     // (B, T)
        long real = keep.sum().item<long>();                                                    // real tokens
        // The fill value is a Scalar held to the end of the method: a temporary one could be finalized while libtorch
        // still reads it (seen as a failed float conversion inside masked_fill under GC pressure).
        using var lowest = float.MinValue.ToScalar();
        var mask = real == B * T ? null                                                         // no padding: attention needs no mask
            : zeros(new[] { B, 1, 1, T }, dtype: float32, device: input_ids.device)
                .masked_fill(keep.logical_not().view(B, 1, 1, T), lowest);                      // (B, 1, 1, T) additive
        var indices = real < PackingThreshold * B * T ? keep.reshape(-1).nonzero().squeeze(1) : null; // (N)
        var context = new AttentionContext(mask, indices, B, T);
        var x = context.Pack(embeddings.forward(input_ids, token_type_ids));                   // (B, T, H) or (N, H)
        var h = encoder.forward(x, context);                                                    // layout of x
        return context.Unpack(h).MoveToOuterDisposeScope();                                     // (B, T, H)
    }

    /// <summary>BERT's pooled output, tanh(W · h[CLS] + b).</summary>
    /// <param name="last_hidden_state">(B, T, H).</param>
    /// <returns>(B, H).</returns>
    public Tensor pooled_output(Tensor last_hidden_state) =>
        (pooler ?? throw new InvalidOperationException("This model was built without a pooling layer.")).forward(last_hidden_state);
}
