using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SentenceMtl.Modeling.Bert;

/// <summary>The feed-forward expansion: Linear(H → I) and the configured activation.</summary>
internal sealed class BertIntermediate : nn.Module<Tensor, Tensor>
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
    /// <returns>(B, T, I).</returns>
    public override Tensor forward(Tensor x)
    {
        using var h = dense.forward(x);                                                         // (B, T, I)
        return BertActivation.Apply(activation, h);
    }
}
