using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SentenceMtl.Modeling.Bert;

/// <summary>Multi-head scaled dot-product self-attention (queries, keys and values from the same states).</summary>
internal sealed class BertSelfAttention : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly int nh;
    private readonly double attention_dropout;

    public BertSelfAttention(BertConfig config) : base(nameof(BertSelfAttention))
    {
        query = nn.Linear(config.HiddenSize, config.HiddenSize);
        key = nn.Linear(config.HiddenSize, config.HiddenSize);
        value = nn.Linear(config.HiddenSize, config.HiddenSize);
        nh = config.NumAttentionHeads;
        attention_dropout = config.AttentionProbsDropoutProb;
        RegisterComponents();
    }

    /// <param name="x">(B, T, H) hidden states.</param>
    /// <param name="attention_mask">(B, 1, 1, T) boolean, true where a key may be attended to.</param>
    /// <returns>(B, T, H) context vectors.</returns>
    public override Tensor forward(Tensor x, Tensor attention_mask)
    {
        using var scope = NewDisposeScope();
        long B = x.shape[0], T = x.shape[1], H = x.shape[2];
        var q = query.forward(x).view(B, T, nh, H / nh).transpose(1, 2);                       // (B, nh, T, hs)
        var k = key.forward(x).view(B, T, nh, H / nh).transpose(1, 2);                         // (B, nh, T, hs)
        var v = value.forward(x).view(B, T, nh, H / nh).transpose(1, 2);                       // (B, nh, T, hs)
        var y = nn.functional.scaled_dot_product_attention(
            q, k, v, attention_mask, p: training ? attention_dropout : 0.0);                  // (B, nh, T, hs)
        return y.transpose(1, 2).reshape(B, T, H).MoveToOuterDisposeScope();                   // (B, T, H)
    }
}
