using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SentenceMtl.Modeling.Bert;

/// <summary>The stack of <see cref="BertLayer"/>s (field <c>layer</c>: keys <c>encoder.layer.{i}.…</c>).</summary>
internal sealed class BertEncoder : nn.Module<Tensor, AttentionContext, Tensor>
{
    private readonly ModuleList<BertLayer> layer;

    public BertEncoder(BertConfig config) : base(nameof(BertEncoder))
    {
        layer = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new BertLayer(config)).ToArray());
        RegisterComponents();
    }

    /// <summary>The layers, lowest first.</summary>
    public IReadOnlyList<BertLayer> Layers => [.. layer];

    /// <param name="x">(B, T, H) embeddings.</param>
    /// <param name="context">The attention mask (built once, shared by every layer) and token layout.</param>
    public override Tensor forward(Tensor x, AttentionContext context)
    {
        var h = x.alias();
        foreach (var block in layer)
        {
            var next = block.forward(h, context);                                       // (B, T, H)
            h.Dispose();
            h = next;
        }

        return h;
    }
}
