using static TorchSharp.torch;

namespace SentenceMtl.Modeling.Bert;

/// <summary>Self-attention followed by its output block (fields <c>self</c> and <c>output</c> as in Hugging Face).</summary>
internal sealed class BertAttention : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly BertSelfAttention self;
    private readonly BertSelfOutput output;

    public BertAttention(BertConfig config) : base(nameof(BertAttention))
    {
        self = new BertSelfAttention(config);
        output = new BertSelfOutput(config);
        RegisterComponents();
    }

    /// <param name="x">(B, T, H).</param>
    /// <param name="attention_mask">(B, 1, 1, T) boolean.</param>
    public override Tensor forward(Tensor x, Tensor attention_mask)
    {
        using var context = self.forward(x, attention_mask);                                   // (B, T, H)
        return output.forward(context, x);                                                      // (B, T, H)
    }
}
