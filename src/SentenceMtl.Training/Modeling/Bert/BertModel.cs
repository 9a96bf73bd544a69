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
    public Tensor forward(Tensor input_ids, Tensor attention_mask, Tensor token_type_ids) =>
        Run(attention_mask, context => context.Pack(embeddings.forward(input_ids, token_type_ids)), 0, encoder.Layers.Count);

    /// <summary>The hidden states after the embeddings and the lowest <paramref name="count"/> layers (token types all 0).</summary>
    /// <param name="input_ids">(B, T) int64.</param>
    /// <param name="attention_mask">(B, T).</param>
    /// <param name="count">Layers to run, from 0 to the number of layers.</param>
    /// <returns>(B, T, H): what layer <paramref name="count"/> takes as input (zeros at padded positions when packed).</returns>
    public Tensor forward_lower(Tensor input_ids, Tensor attention_mask, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, encoder.Layers.Count);
        using var token_type_ids = zeros_like(input_ids);                                       // (B, T)
        return Run(attention_mask, context => context.Pack(embeddings.forward(input_ids, token_type_ids)), 0, count);
    }

    /// <summary>
    /// The last hidden states from the input of layer <paramref name="first"/> (what <see cref="forward_lower"/> returned
    /// for <paramref name="first"/> layers): the layers from <paramref name="first"/> up. Padded positions of
    /// <paramref name="hidden_states"/> may hold anything: attention masks them as keys, and no real token reads them.
    /// </summary>
    /// <param name="hidden_states">(B, T, H).</param>
    /// <param name="attention_mask">(B, T).</param>
    /// <param name="first">The first layer to run, from 0 to the number of layers.</param>
    /// <returns>(B, T, H), zeros at padded positions when the batch was packed.</returns>
    public Tensor forward_upper(Tensor hidden_states, Tensor attention_mask, int first)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(first, encoder.Layers.Count);
        return Run(attention_mask, context => context.Pack(hidden_states), first, encoder.Layers.Count);
    }

    /// <summary>
    /// Builds the attention context of <paramref name="attention_mask"/>, takes the first layer's input from
    /// <paramref name="input"/> (in the context's layout) and runs layers <paramref name="first"/> to <paramref name="end"/> − 1.
    /// </summary>
    private Tensor Run(Tensor attention_mask, Func<AttentionContext, Tensor> input, int first, int end)
    {
        using var scope = NewDisposeScope();
        long B = attention_mask.shape[0], T = attention_mask.shape[1];
        var keep = attention_mask.to_type(ScalarType.Bool);                                     // (B, T)
        long real = keep.sum().item<long>();                                                    // real tokens
        // The fill value is a Scalar held to the end of the method: a temporary one could be finalized while libtorch
        // still reads it (seen as a failed float conversion inside masked_fill under GC pressure).
        using var lowest = float.MinValue.ToScalar();
        var mask = real == B * T ? null                                                         // no padding: attention needs no mask
            : zeros(new[] { B, 1, 1, T }, dtype: float32, device: attention_mask.device)
                .masked_fill(keep.logical_not().view(B, 1, 1, T), lowest);                      // (B, 1, 1, T) additive
        var indices = real < PackingThreshold * B * T ? keep.reshape(-1).nonzero().squeeze(1) : null; // (N)
        var context = new AttentionContext(mask, indices, B, T);
        var x = input(context);                                                                 // (B, T, H) or (N, H)
        var h = encoder.forward(x, context, first, end);                                        // layout of x
        return context.Unpack(h).MoveToOuterDisposeScope();                                     // (B, T, H)
    }

    /// <summary>BERT's pooled output, tanh(W · h[CLS] + b).</summary>
    /// <param name="last_hidden_state">(B, T, H).</param>
    /// <returns>(B, H).</returns>
    public Tensor pooled_output(Tensor last_hidden_state) =>
        (pooler ?? throw new InvalidOperationException("This model was built without a pooling layer.")).forward(last_hidden_state);
}
