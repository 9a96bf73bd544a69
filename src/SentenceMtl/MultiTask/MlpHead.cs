using System.Runtime.Intrinsics;
using SentenceMtl.Inference.Vectors;
using SentenceMtl.Serialization;

namespace SentenceMtl.MultiTask;

/// <summary>
/// A trained classification head run in managed code: [Linear → activation] per hidden layer, then Linear(labels), as
/// the training package's TorchSharp head computes it in evaluation mode (dropout does nothing there). Its weights are
/// the state dict of that module: <c>mlp.{3k}.weight</c> (out × in) and <c>mlp.{3k}.bias</c> for the k-th linear layer,
/// since each hidden layer is followed by its activation and dropout in the sequence. Immutable once built.
/// </summary>
internal sealed class MlpHead
{
    private readonly Linear[] layers;

    private MlpHead(Linear[] layers, HeadActivation activation)
    {
        this.layers = layers;
        Activation = activation;
    }

    /// <summary>The activation after each hidden layer.</summary>
    public HeadActivation Activation { get; }

    /// <summary>Number of classes.</summary>
    public int LabelCount => layers[^1].Outputs;

    /// <summary>One linear layer: row-major (outputs × inputs) weights and the bias.</summary>
    private sealed record Linear(float[] Weight, float[] Bias, int Inputs, int Outputs);

    /// <summary>
    /// The state-dict keys and shapes of a head with these sizes (<c>mlp.{3k}</c> is the k-th linear layer), each with
    /// what gives its dimensions, for error messages.
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

    /// <summary>Builds a head from its state dict (keys without the task prefix), whose shapes the caller checked
    /// against <see cref="ExpectedShapes"/>.</summary>
    /// <exception cref="ModelFormatException">A weight holds NaN or infinity; <paramref name="source"/> and the key name it.</exception>
    public static MlpHead FromStateDict(IReadOnlyDictionary<string, TensorData> state, int hiddenLayers, HeadActivation activation, string source, string keyPrefix)
    {
        var layers = new Linear[hiddenLayers + 1];
        for (int k = 0; k < layers.Length; k++)
        {
            var weight = state[$"mlp.{3 * k}.weight"];
            var bias = state[$"mlp.{3 * k}.bias"];
            layers[k] = new Linear(Finite(weight, source, keyPrefix), Finite(bias, source, keyPrefix), (int)weight.Shape[1], (int)weight.Shape[0]);
        }

        return new MlpHead(layers, activation);
    }

    /// <summary>The state dict, keys prefixed with <paramref name="keyPrefix"/> (<c>{task}.</c>), as float32 tensors.</summary>
    public IEnumerable<TensorData> ToStateDict(string keyPrefix) => layers.SelectMany((layer, k) => new[]
    {
        TensorData.FromFloats($"{keyPrefix}mlp.{3 * k}.weight", [layer.Outputs, layer.Inputs], layer.Weight),
        TensorData.FromFloats($"{keyPrefix}mlp.{3 * k}.bias", [layer.Outputs], layer.Bias),
    });

    /// <summary>Softmax probabilities of the classes for one sentence embedding.</summary>
    /// <param name="embedding">The encoder's output for one sentence (the first layer's input width).</param>
    public float[] Probabilities(ReadOnlySpan<float> embedding)
    {
        var x = embedding.ToArray();
        for (int k = 0; k < layers.Length; k++)
        {
            x = Multiply(layers[k], x);
            if (k < layers.Length - 1)
            {
                Activate(x);
            }
        }

        return Softmax(x);
    }

    /// <summary>W·x + b, each output summed in double: at least as exact as libtorch's float32 product, so probabilities
    /// agree with it to about 1e-7.</summary>
    private static float[] Multiply(Linear layer, float[] x)
    {
        var y = new float[layer.Outputs];
        for (int o = 0; o < y.Length; o++)
        {
            var row = layer.Weight.AsSpan(o * layer.Inputs, layer.Inputs);
            double sum = layer.Bias[o];
            for (int i = 0; i < row.Length; i++)
            {
                sum += (double)row[i] * x[i];
            }

            y[o] = (float)sum;
        }

        return y;
    }

    private void Activate(float[] x)
    {
        switch (Activation)
        {
            case HeadActivation.Gelu:
                // The engine's exact GELU (erf), four values at a time; .NET runs 128-bit vectors on every platform.
                var padded = new float[(x.Length + 3) & ~3];
                x.CopyTo(padded, 0);
                for (int i = 0; i < padded.Length; i += 4)
                {
                    SimdMath.Gelu<Simd128, Vector128<float>>(Vector128.Create(padded.AsSpan(i, 4))).CopyTo(padded.AsSpan(i, 4));
                }

                padded.AsSpan(0, x.Length).CopyTo(x);
                break;
            case HeadActivation.Relu:
                for (int i = 0; i < x.Length; i++)
                {
                    x[i] = MathF.Max(x[i], 0f);
                }

                break;
            default:
                for (int i = 0; i < x.Length; i++)
                {
                    x[i] = MathF.Tanh(x[i]);
                }

                break;
        }
    }

    /// <summary>Softmax in double after subtracting the largest logit, as libtorch does to avoid overflow.</summary>
    private static float[] Softmax(float[] logits)
    {
        float max = logits.Max();
        var result = new float[logits.Length];
        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            sum += Math.Exp(logits[i] - max);
        }

        for (int i = 0; i < logits.Length; i++)
        {
            result[i] = (float)(Math.Exp(logits[i] - max) / sum);
        }

        return result;
    }

    private static float[] Finite(TensorData tensor, string source, string keyPrefix)
    {
        var values = tensor.ToFloats();
        if (values.Any(v => !float.IsFinite(v)))
        {
            throw new ModelFormatException(source,
                $"the weight '{ErrorText.Shorten(keyPrefix + tensor.Name)}' holds NaN or infinite values: the file is damaged or was written from a diverged training run.");
        }

        return values;
    }
}
