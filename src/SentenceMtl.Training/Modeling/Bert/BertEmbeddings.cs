using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SentenceMtl.Modeling.Bert;

/// <summary>Word + absolute position + token type embeddings, then LayerNorm and dropout.</summary>
internal sealed class BertEmbeddings : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly Embedding token_type_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;

    public BertEmbeddings(BertConfig config) : base(nameof(BertEmbeddings))
    {
        word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId);
        position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
        token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <summary>The token embedding matrix's module (<c>word_embeddings</c>).</summary>
    internal Embedding WordEmbeddings => word_embeddings;

    /// <summary>The element type of the embeddings (and so of the hidden states).</summary>
    internal ScalarType DType => word_embeddings.weight!.dtype;

    /// <param name="input_ids">(B, T) token ids.</param>
    /// <param name="token_type_ids">(B, T) segment ids.</param>
    /// <returns>(B, T, H).</returns>
    public override Tensor forward(Tensor input_ids, Tensor token_type_ids)
    {
        long T = input_ids.shape[1];
        using var position_ids = arange(T, dtype: int64, device: input_ids.device).unsqueeze(0); // (1, T)
        var x = word_embeddings.forward(input_ids)                                              // (B, T, H)
            + position_embeddings.forward(position_ids)                                         // (1, T, H)
            + token_type_embeddings.forward(token_type_ids);                                    // (B, T, H)
        return dropout.forward(LayerNorm.forward(x));
    }
}
