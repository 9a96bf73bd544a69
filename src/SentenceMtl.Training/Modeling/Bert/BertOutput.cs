using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SentenceMtl.Modeling.Bert;

/// <summary>The feed-forward contraction: Linear(I → H), dropout, then residual + LayerNorm.</summary>
internal sealed class BertOutput : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;

    public BertOutput(BertConfig config) : base(nameof(BertOutput))
    {
        dense = nn.Linear(config.IntermediateSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <param name="hidden_states">(B, T, I).</param>
    /// <param name="input_tensor">(B, T, H) the feed-forward block's input (residual).</param>
    public override Tensor forward(Tensor hidden_states, Tensor input_tensor) =>
        LayerNorm.forward(dropout.forward(dense.forward(hidden_states)) + input_tensor);       // (B, T, H)
}
