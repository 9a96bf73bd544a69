using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SentenceMtl.Modeling.Bert;

/// <summary>BERT's pooler: tanh(Linear(first token)). Kept for checkpoint fidelity; sentence pooling is separate.</summary>
internal sealed class BertPooler : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;

    public BertPooler(BertConfig config) : base(nameof(BertPooler))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        RegisterComponents();
    }

    /// <param name="hidden_states">(B, T, H).</param>
    /// <returns>(B, H).</returns>
    public override Tensor forward(Tensor hidden_states)
    {
        using var first = hidden_states.select(1, 0);                                           // (B, H)
        using var h = dense.forward(first);
        return h.tanh();
    }
}
