using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SentenceMtl.Modeling.Heads;

/// <summary>
/// An MLP classification head: [Linear → activation → Dropout] per hidden size, then Linear(labels).
/// Keys: <c>mlp.{i}.weight</c> / <c>mlp.{i}.bias</c> for the linear layers at positions i of the sequence, the keys
/// the core package's managed head (<c>MlpHead</c>) reads to predict.
/// </summary>
internal sealed class ClassificationHead : nn.Module<Tensor, Tensor>
{
    private readonly Sequential mlp;

    /// <param name="inputSize">Sentence embedding width (H).</param>
    /// <param name="hiddenSizes">Widths of the hidden layers (empty: a single linear layer).</param>
    /// <param name="labelCount">Number of classes (C).</param>
    /// <param name="activation">Activation after each hidden layer.</param>
    /// <param name="dropout">Dropout probability after each activation.</param>
    public ClassificationHead(int inputSize, IReadOnlyList<int> hiddenSizes, int labelCount, HeadActivation activation, double dropout)
        : base(nameof(ClassificationHead))
    {
        Activation = activation;
        DropoutProbability = dropout;
        var layers = new List<nn.Module<Tensor, Tensor>>();
        int width = inputSize;
        foreach (int hidden in hiddenSizes)
        {
            layers.Add(nn.Linear(width, hidden));
            layers.Add(activation switch
            {
                HeadActivation.Gelu => nn.GELU(),
                HeadActivation.Relu => nn.ReLU(),
                HeadActivation.Tanh => nn.Tanh(),
                _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation."),
            });
            layers.Add(nn.Dropout(dropout));
            width = hidden;
        }

        layers.Add(nn.Linear(width, labelCount));
        mlp = nn.Sequential(layers);
        RegisterComponents();
    }

    /// <summary>The linear layers in order: the hidden layers, then the output layer.</summary>
    /// <remarks>Read from the sequence each time: a field holding them would be registered as a second set of keys.</remarks>
    public IReadOnlyList<Linear> Linears => mlp.children().OfType<Linear>().ToList();

    /// <summary>The activation after each hidden layer.</summary>
    public HeadActivation Activation { get; }

    /// <summary>The dropout probability after each activation.</summary>
    public double DropoutProbability { get; }

    /// <param name="x">(B, H) sentence embeddings.</param>
    /// <returns>(B, C) logits.</returns>
    public override Tensor forward(Tensor x) => mlp.forward(x);
}
