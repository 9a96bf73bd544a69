using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SentenceMtl.Modeling.Heads;

/// <summary>
/// An MLP classification head: [Linear → activation → Dropout] per hidden size, then Linear(labels).
/// Keys: <c>mlp.{i}.weight</c> / <c>mlp.{i}.bias</c> for the linear layers at positions i of the sequence.
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

    /// <summary>
    /// The state-dict keys and shapes of a head with these sizes, without building it (<c>mlp.{3k}</c> is the k-th
    /// linear layer: each hidden layer is followed by its activation and dropout), each with what gives its dimensions.
    /// </summary>
    public static Dictionary<string, (long[] Shape, string Fields)> ExpectedShapes(int inputSize, IReadOnlyList<int> hiddenSizes, int labelCount)
    {
        var result = new Dictionary<string, (long[], string)>(StringComparer.Ordinal);
        long width = inputSize;
        string widthName = "the encoder's dimension";
        for (int k = 0; k <= hiddenSizes.Count; k++)
        {
            long output = k < hiddenSizes.Count ? hiddenSizes[k] : labelCount;
            string outputName = k < hiddenSizes.Count ? $"hidden_sizes[{k}]" : "the number of labels";
            result[$"mlp.{3 * k}.weight"] = ([output, width], $"{outputName} × {widthName}");
            result[$"mlp.{3 * k}.bias"] = ([output], outputName);
            (width, widthName) = (output, outputName);
        }

        return result;
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
