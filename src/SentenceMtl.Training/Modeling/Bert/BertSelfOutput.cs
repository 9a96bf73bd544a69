using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SentenceMtl.Modeling.Bert;

/// <summary>Attention output projection, dropout, then residual + LayerNorm.</summary>
internal sealed class BertSelfOutput : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;

    public BertSelfOutput(BertConfig config) : base(nameof(BertSelfOutput))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <param name="hidden_states">(B, T, H) attention context.</param>
    /// <param name="input_tensor">(B, T, H) the attention block's input (residual).</param>
    public override Tensor forward(Tensor hidden_states, Tensor input_tensor) =>
        LayerNorm.forward(dropout.forward(dense.forward(hidden_states)) + input_tensor);       // (B, T, H)
}
