using static TorchSharp.torch;

namespace SentenceMtl.Modeling.Bert;

/// <summary>One transformer layer: attention block, then feed-forward block.</summary>
internal sealed class BertLayer : nn.Module<Tensor, AttentionContext, Tensor>
{
    private readonly BertAttention attention;
    private readonly BertIntermediate intermediate;
    private readonly BertOutput output;

    public BertLayer(BertConfig config) : base(nameof(BertLayer))
    {
        attention = new BertAttention(config);
        intermediate = new BertIntermediate(config);
        output = new BertOutput(config);
        RegisterComponents();
    }

    /// <param name="x">(B, T, H), or (N, H) when packed.</param>
    /// <param name="context">The shared attention mask and token layout.</param>
    public override Tensor forward(Tensor x, AttentionContext context)
    {
        using var a = attention.forward(x, context);                                    // (B, T, H)
        using var i = intermediate.forward(a);                                                  // (B, T, I)
        return output.forward(i, a);                                                            // (B, T, H)
    }
}
