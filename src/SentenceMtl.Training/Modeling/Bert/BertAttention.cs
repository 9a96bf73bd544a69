using static TorchSharp.torch;

namespace SentenceMtl.Modeling.Bert;

/// <summary>Self-attention followed by its output block (fields <c>self</c> and <c>output</c> as in Hugging Face).</summary>
internal sealed class BertAttention : nn.Module<Tensor, AttentionContext, Tensor>
{
    private readonly BertSelfAttention self;
    private readonly BertSelfOutput output;

    public BertAttention(BertConfig config) : base(nameof(BertAttention))
    {
        self = new BertSelfAttention(config);
        output = new BertSelfOutput(config);
        RegisterComponents();
    }

    /// <param name="x">(B, T, H), or (N, H) when packed.</param>
    /// <param name="context">The shared attention mask and token layout.</param>
    public override Tensor forward(Tensor x, AttentionContext context)
    {
        using var attended = self.forward(x, context);                                  // (B, T, H)
        return output.forward(attended, x);                                                     // (B, T, H)
    }
}
