using static TorchSharp.torch;

namespace SentenceMtl.Modeling.Bert;

/// <summary>The activations a BERT <c>hidden_act</c> may name (Hugging Face's ACT2FN subset).</summary>
internal static class BertActivation
{
    /// <summary>Names accepted in <c>config.json</c>.</summary>
    public static readonly IReadOnlyList<string> Names = ["gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "silu", "swish"];

    public static bool IsKnown(string name) => Names.Contains(name);

    /// <summary>Applies the activation named <paramref name="name"/>.</summary>
    public static Tensor Apply(string name, Tensor x) => name switch
    {
        "gelu" => nn.functional.gelu(x),                                                   // exact (erf)
        "gelu_new" or "gelu_pytorch_tanh" => nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh),
        "relu" => nn.functional.relu(x),
        "silu" or "swish" => nn.functional.silu(x),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown activation"),
    };
}
