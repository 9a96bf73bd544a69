using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SentenceMtl.Modeling.Bert;

/// <summary>The feed-forward contraction: Linear(I → H), dropout, then residual + LayerNorm.</summary>
internal sealed class BertOutput : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;
    private readonly double eps;

    public BertOutput(BertConfig config) : base(nameof(BertOutput))
    {
        dense = nn.Linear(config.IntermediateSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, eps: config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        eps = config.LayerNormEps;
        RegisterComponents();
    }

    /// <param name="hidden_states">(B, T, I).</param>
    /// <param name="input_tensor">(B, T, H) the feed-forward block's input (residual).</param>
    public override Tensor forward(Tensor hidden_states, Tensor input_tensor) =>
        LayerNorm.forward(dropout.forward(dense.forward(hidden_states)) + input_tensor);       // (B, T, H)

    /// <summary>Whether <see cref="Infer"/> can run (the dense layer packed now if so).</summary>
    internal bool CanInfer(InferenceBuffers buffers) => buffers.Weights.TryGet(dense) is not null & buffers.Suits(LayerNorm);

    /// <summary>Kernel inference for token states [first, first + rows): states = LayerNorm(states + dense(intermediate activations)).</summary>
    internal unsafe void Infer(InferenceBuffers buffers, long first, long rows) =>
        buffers.AddAndNormalize(buffers.Packed(dense), buffers.Intermediate, first, rows, LayerNorm, eps);
}
