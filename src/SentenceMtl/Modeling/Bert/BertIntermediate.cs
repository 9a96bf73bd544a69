using SentenceMtl.Modeling.Kernels;
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

    /// <summary>Whether <see cref="Infer"/> can run: exact GELU (the kernel's epilogue) and a packable dense layer (packed now if so).</summary>
    internal bool CanInfer(InferenceBuffers buffers) => activation == "gelu" && buffers.Weights.TryGet(dense) is not null;

    /// <summary>Kernel inference for token states [first, first + rows): intermediate = gelu(dense(states)).</summary>
    internal unsafe void Infer(InferenceBuffers buffers, long first, long rows) =>
        buffers.Packed(dense).Multiply(buffers.HiddenValues + (first * buffers.Width), rows, buffers.Intermediate, LinearEpilogue.Gelu); // (rows, I)
}
