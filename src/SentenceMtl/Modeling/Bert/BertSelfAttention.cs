using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SentenceMtl.Modeling.Bert;

/// <summary>
/// Multi-head scaled dot-product self-attention. The three projections keep Hugging Face's names
/// (<c>query</c>, <c>key</c>, <c>value</c>) but run as one fused (H → 3H) matrix product.
/// </summary>
internal sealed class BertSelfAttention : nn.Module<Tensor, AttentionContext, Tensor>
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

    /// <param name="x">(B, T, H) hidden states, or (N, H) when packed.</param>
    /// <param name="context">The shared mask and token layout.</param>
    /// <returns>Context vectors in the same layout as <paramref name="x"/>.</returns>
    public override Tensor forward(Tensor x, AttentionContext context)
    {
        using var scope = NewDisposeScope();
        long B = context.Batch, T = context.Length, H = x.shape[^1], hs = H / nh;
        var w = cat([query.weight!, key.weight!, value.weight!]);                               // (3H, H)
        var b = cat([query.bias!, key.bias!, value.bias!]);                                     // (3H)
        var qkv = context.Unpack(nn.functional.linear(x, w, b));                                // (B, T, 3H)
        var heads = qkv.view(B, T, 3, nh, hs).permute(2, 0, 3, 1, 4);                          // (3, B, nh, T, hs)
        var y = nn.functional.scaled_dot_product_attention(
            heads[0], heads[1], heads[2], context.Mask, p: training ? attention_dropout : 0.0);  // (B, nh, T, hs)
        var merged = y.transpose(1, 2).reshape(B, T, H);                                        // (B, T, H)
        return context.Pack(merged).MoveToOuterDisposeScope();                                  // layout of x
    }
}
