using static TorchSharp.torch;

namespace SentenceMtl.Modeling.Bert;

/// <summary>One transformer layer: attention block, then feed-forward block.</summary>
internal sealed class BertLayer : nn.Module<Tensor, Tensor, Tensor>
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

    /// <param name="x">(B, T, H).</param>
    /// <param name="attention_mask">(B, 1, 1, T) boolean.</param>
    public override Tensor forward(Tensor x, Tensor attention_mask)
    {
        using var a = attention.forward(x, attention_mask);                                    // (B, T, H)
        using var i = intermediate.forward(a);                                                  // (B, T, I)
        return output.forward(i, a);                                                            // (B, T, H)
    }
}
