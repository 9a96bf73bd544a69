using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SentenceMtl.Modeling.Bert;

/// <summary>The feed-forward expansion: Linear(H → I) and the configured activation.</summary>
internal sealed class BertIntermediate : nn.Module<Tensor, AttentionContext, Tensor>
{
    private readonly Linear dense;
    private readonly string activation;

    public BertIntermediate(BertConfig config) : base(nameof(BertIntermediate))
    {
        dense = nn.Linear(config.HiddenSize, config.IntermediateSize);
        activation = config.HiddenAct;
        RegisterComponents();
    }

    /// <param name="x">(B, T, H), or (N, H) when packed.</param>
    /// <param name="context">Says whether this pass may use the prepacked inference weights.</param>
    /// <returns>(B, T, I).</returns>
    public override Tensor forward(Tensor x, AttentionContext context)
    {
        using var h = context.Linear(dense, x);                                                 // (B, T, I)
        return BertActivation.Apply(activation, h);
    }
}
