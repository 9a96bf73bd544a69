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
    public override Tensor forward(Tensor x, AttentionContext context) => forward(x, context, 0, layer.Count);

    /// <summary>Layers <paramref name="first"/> to <paramref name="end"/> − 1 only.</summary>
    /// <param name="x">The input of layer <paramref name="first"/>, in the layout of <paramref name="context"/>.</param>
    /// <param name="context">The attention mask and token layout.</param>
    /// <param name="first">The first layer to run (0-based).</param>
    /// <param name="end">One past the last layer to run.</param>
    public Tensor forward(Tensor x, AttentionContext context, int first, int end)
    {
        var h = x.alias();
        for (int i = first; i < end; i++)
        {
            var next = layer[i].forward(h, context);                                    // (B, T, H)
            h.Dispose();
            h = next;
        }

        return h;
    }
}
