using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SentenceMtl.Modeling.Kernels;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SentenceMtl.Training;

/// <summary>
/// A training step of the classification heads on cached sentence embeddings (frozen backbone), computed without
/// autograd: each head's MLP forward with dropout, softmax cross-entropy over the rows labelled for its task, the loss
/// of <see cref="MultiTaskTrainer.Loss"/> (Σ_t w_t·CE_t, or Σ_t exp(−s_t)·CE_t + s_t/2), and its gradients written into
/// the trainable parameters' <c>.grad</c> — what <c>zero_grad()</c> + <c>backward()</c> leave there, to float rounding.
/// </summary>
/// <remarks>
/// A head step on libtorch is ≈ 60 small calls (forward, loss, autograd), each a few microseconds of fixed cost around
/// 16-row products; here it is three hand-written products per layer (<see cref="SmallMatrixProducts"/>) and elementwise
/// loops. Dropout masks come from this class's own seeded generator, so runs are reproducible but draw other masks
/// than libtorch's dropout. A trainable parameter without a gradient this step (its task has no label in the batch)
/// keeps no gradient if it had none, and has its gradient zeroed otherwise — as autograd after <c>zero_grad()</c>.
/// Used only when every head parameter and the cache are contiguous float32 CPU tensors and 512-bit vectors are
/// accelerated; otherwise the trainer runs the heads on libtorch.
/// </remarks>
internal sealed class HeadBackpropagation
{
    private readonly Tensor cache;
    private readonly int width;
    private readonly float[] input;
    private readonly Head[] heads;
    private ulong randomState;
    private int rows;

    private HeadBackpropagation(Tensor cache, Head[] heads, int batchSize, long seed)
    {
        this.cache = cache;
        this.heads = heads;
        width = (int)cache.shape[1];
        input = new float[batchSize * width];
        randomState = unchecked((ulong)seed);
    }

    /// <summary>
    /// The hand-written step for <paramref name="model"/>'s heads on <paramref name="cache"/>, or null when it does not
    /// apply (non-float32 or non-CPU tensors, no 512-bit vectors).
    /// </summary>
    /// <param name="model">The model whose heads train.</param>
    /// <param name="cache">(N, H) embeddings of the training examples.</param>
    /// <param name="labels">Task name → class index per example (negative: unlabelled).</param>
    /// <param name="batchSize">The largest batch.</param>
    /// <param name="seed">Seed of the dropout masks.</param>
    public static HeadBackpropagation? TryCreate(MultiTaskModel model, Tensor cache, IReadOnlyDictionary<string, int[]> labels,
        int batchSize, long seed)
    {
        if (!Vector512.IsHardwareAccelerated || cache.dim() != 2 || !TensorMemory.IsReadable(cache))
        {
            return null;
        }

        var heads = new List<Head>();
        foreach (var task in model.Tasks)
        {
            var head = model.Head(task.Name);
            var linears = head.Linears;
            if (linears.Any(l => l.bias is null || !TensorMemory.IsReadable(l.weight!) || !TensorMemory.IsReadable(l.bias)) || linears[0].weight!.shape[1] != cache.shape[1])
            {
                return null;
            }

            heads.Add(new Head(task.Name, labels[task.Name], [.. linears.Select(l => new Layer(l, batchSize))],
                head.Activation, (float)head.DropoutProbability));
        }

        return new HeadBackpropagation(cache, [.. heads], batchSize, seed);
    }

    /// <summary>Runs every head on the batch's cached embeddings (training mode: dropout on) and computes the loss.</summary>
    /// <param name="batch">Example indices.</param>
    /// <param name="taskWeight">The fixed weight of a task (unused with <paramref name="logVariances"/>).</param>
    /// <param name="logVariances">Uncertainty weighting's log-variances s_t, or null.</param>
    /// <returns>The total loss and each labelled task's mean cross-entropy; null when no task has a label in the batch.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public (double Total, Dictionary<string, double> PerTask)? Forward(int[] batch, Func<string, double> taskWeight,
        IReadOnlyDictionary<string, Parameter>? logVariances)
    {
        rows = batch.Length;
        var embeddings = TensorMemory.Values(cache);
        for (int r = 0; r < rows; r++)
        {
            embeddings.Slice(batch[r] * width, width).CopyTo(input.AsSpan(r * width));    // (B, H)
        }

        double total = 0;
        var perTask = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var head in heads)
        {
            head.Trains = head.Layers.Any(l => l.Weight.requires_grad || l.Bias.requires_grad);
            ForwardLayers(head);
            double? ce = CrossEntropy(head, batch);
            head.HasLoss = ce is not null;
            if (ce is not { } loss)
            {
                continue;
            }

            perTask[head.Task] = (float)loss;
            if (logVariances is not null)
            {
                double s = TensorMemory.Values(logVariances[head.Task])[0];
                head.LossScale = Math.Exp(-s);
                head.LogVarianceGradient = 0.5 - (head.LossScale * loss);                       // ∂(e^−s·CE + s/2)/∂s
                total += (head.LossScale * loss) + (0.5 * s);
            }
            else
            {
                head.LossScale = taskWeight(head.Task);
                total += head.LossScale * loss;
            }
        }

        ReachesTrainableParameters = heads.Any(h => h.HasLoss && (h.Trains || (logVariances?[h.Task].requires_grad ?? false)));
        return perTask.Count == 0 ? null : (total, perTask);
    }

    /// <summary>
    /// Whether the last <see cref="Forward"/>'s loss depends on a trainable parameter. When only frozen heads had labels
    /// in the batch (alternating heads with partial labels), there is nothing to differentiate and no update to make.
    /// </summary>
    public bool ReachesTrainableParameters { get; private set; }

    /// <summary>Writes the gradients of the last <see cref="Forward"/>'s loss into the trainable parameters' <c>.grad</c>.</summary>
    /// <param name="logVariances">The log-variances given to <see cref="Forward"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Backward(IReadOnlyDictionary<string, Parameter>? logVariances)
    {
        foreach (var head in heads)
        {
            if (logVariances is not null && logVariances[head.Task].requires_grad)
            {
                if (head.HasLoss)
                {
                    GradientOf(logVariances[head.Task])[0] = (float)head.LogVarianceGradient;
                }
                else
                {
                    ZeroGradient(logVariances[head.Task]);
                }
            }

            var layers = head.Layers;
            if (!head.HasLoss)
            {
                foreach (var layer in layers)
                {
                    ZeroGradient(layer.Weight);
                    ZeroGradient(layer.Bias);
                }

                continue;
            }

            if (!head.Trains)
            {
                continue;                                                                       // a frozen head
            }

            Scale(layers[^1].Gradient.AsSpan(0, rows * layers[^1].Out), (float)head.LossScale);
            for (int l = layers.Length - 1; l >= 0; l--)
            {
                var layer = layers[l];
                var dy = layer.Gradient.AsSpan(0, rows * layer.Out);                            // ∂loss/∂(pre-activation), (B, out)
                ReadOnlySpan<float> x = l == 0 ? input.AsSpan(0, rows * width) : layers[l - 1].Output.AsSpan(0, rows * layer.In);
                if (layer.Weight.requires_grad)
                {
                    SmallMatrixProducts.WeightGradient(dy, x, GradientOf(layer.Weight), rows, layer.Out, layer.In);
                }

                if (layer.Bias.requires_grad)
                {
                    var db = GradientOf(layer.Bias);
                    db.Clear();
                    for (int r = 0; r < rows; r++)
                    {
                        for (int j = 0; j < layer.Out; j++)
                        {
                            db[j] += dy[(r * layer.Out) + j];
                        }
                    }
                }

                if (l > 0)
                {
                    var below = layers[l - 1];
                    var dx = below.Gradient.AsSpan(0, rows * below.Out);
                    SmallMatrixProducts.InputGradient(dy, TensorMemory.Values(layer.Weight), dx, rows, layer.Out, layer.In);
                    var slope = below.Slope.AsSpan(0, dx.Length);
                    for (int i = 0; i < dx.Length; i++)
                    {
                        dx[i] *= slope[i];                                                      // through dropout and the activation
                    }
                }
            }
        }
    }

    /// <summary>The output of layer <paramref name="layer"/> of <paramref name="task"/>'s head in the last <see cref="Forward"/>, (B, out).</summary>
    internal ReadOnlySpan<float> Output(string task, int layer)
    {
        var l = heads.Single(h => h.Task == task).Layers[layer];
        return l.Output.AsSpan(0, rows * l.Out);
    }

    /// <summary>Each linear layer, then (hidden layers) activation and dropout; the slopes are kept for the backward pass.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ForwardLayers(Head head)
    {
        ReadOnlySpan<float> x = input.AsSpan(0, rows * width);
        for (int l = 0; l < head.Layers.Length; l++)
        {
            var layer = head.Layers[l];
            var y = layer.Output.AsSpan(0, rows * layer.Out);
            SmallMatrixProducts.LinearForward(x, TensorMemory.Values(layer.Weight), TensorMemory.Values(layer.Bias), y, rows, layer.Out, layer.In);
            if (l < head.Layers.Length - 1)
            {
                var slope = layer.Slope.AsSpan(0, y.Length);
                Activate(head.Activation, y, slope);
                if (head.Dropout > 0)
                {
                    Dropout(y, slope, head.Dropout);
                }
            }

            x = y;
        }
    }

    /// <summary>
    /// Mean softmax cross-entropy over the rows labelled for the head's task; fills the logits' gradient of that mean
    /// (softmax − one-hot) / n, zero for unlabelled rows. Null when no row is labelled.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double? CrossEntropy(Head head, int[] batch)
    {
        var last = head.Layers[^1];
        int classes = last.Out;
        int labelled = 0;
        for (int r = 0; r < rows; r++)
        {
            labelled += head.Labels[batch[r]] >= 0 ? 1 : 0;
        }

        if (labelled == 0)
        {
            return null;
        }

        double loss = 0;
        for (int r = 0; r < rows; r++)
        {
            var logits = last.Output.AsSpan(r * classes, classes);
            var gradient = last.Gradient.AsSpan(r * classes, classes);
            int gold = head.Labels[batch[r]];
            if (gold < 0)
            {
                gradient.Clear();
                continue;
            }

            float max = float.NegativeInfinity;
            foreach (float v in logits)
            {
                max = Math.Max(max, v);
            }

            double sum = 0;
            for (int c = 0; c < classes; c++)
            {
                sum += Math.Exp(logits[c] - max);
            }

            loss += max + Math.Log(sum) - logits[gold];
            for (int c = 0; c < classes; c++)
            {
                gradient[c] = (float)(((Math.Exp(logits[c] - max) / sum) - (c == gold ? 1 : 0)) / labelled);
            }
        }

        return loss / labelled;
    }

    /// <summary>y ← activation(y) in place; slope ← activation′ at the old y (ReLU: 1 where the output is positive, as torch).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Activate(HeadActivation activation, Span<float> y, Span<float> slope)
    {
        switch (activation)
        {
            case HeadActivation.Relu:
                for (int i = 0; i < y.Length; i++)
                {
                    y[i] = Math.Max(y[i], 0f);
                    slope[i] = y[i] > 0 ? 1f : 0f;
                }

                break;
            case HeadActivation.Tanh:
                for (int i = 0; i < y.Length; i++)
                {
                    y[i] = MathF.Tanh(y[i]);
                    slope[i] = 1f - (y[i] * y[i]);                                                  // tanh′ = 1 − tanh²
                }

                break;
            case HeadActivation.Gelu:
                int i0 = 0;
                for (; i0 + Vector512<float>.Count <= y.Length; i0 += Vector512<float>.Count)
                {
                    VectorMath.Gelu(Vector512.Create<float>(y[i0..]), out var derivative).CopyTo(y[i0..]);
                    derivative.CopyTo(slope[i0..]);
                }

                if (i0 < y.Length)
                {
                    Span<float> tail = stackalloc float[Vector512<float>.Count];
                    Span<float> tailSlope = stackalloc float[Vector512<float>.Count];
                    tail.Clear();
                    y[i0..].CopyTo(tail);
                    VectorMath.Gelu(Vector512.Create<float>(tail), out var derivative).CopyTo(tail);
                    derivative.CopyTo(tailSlope);
                    tail[..(y.Length - i0)].CopyTo(y[i0..]);
                    tailSlope[..(y.Length - i0)].CopyTo(slope[i0..]);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation.");
        }
    }

    private static void Scale(Span<float> values, float factor)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] *= factor;
        }
    }

    /// <summary>Inverted dropout: each value is kept with probability 1 − p and scaled by 1 / (1 − p), else zeroed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Dropout(Span<float> y, Span<float> slope, float p)
    {
        uint threshold = (uint)Math.Min(uint.MaxValue, Math.Round(p * 4294967296.0));              // drop when u < p·2³²
        float scale = 1f / (1f - p);
        for (int i = 0; i < y.Length; i++)
        {
            float keep = (uint)(NextRandom() >> 32) < threshold ? 0f : scale;
            y[i] *= keep;
            slope[i] *= keep;
        }
    }

    /// <summary>SplitMix64 (Steele, Lea, Flood 2014): 64 well-mixed bits per call.</summary>
    private ulong NextRandom()
    {
        ulong z = randomState += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The values of the parameter's gradient, created (zeros) if it has none.</summary>
    private static Span<float> GradientOf(Parameter parameter)
    {
        var gradient = parameter.grad;
        if (gradient is null || !TensorMemory.IsReadable(gradient))
        {
            using var zeros = zeros_like(parameter);
            parameter.grad = zeros;
            gradient = parameter.grad!;
        }

        return TensorMemory.Values(gradient);
    }

    private static void ZeroGradient(Parameter parameter)
    {
        if (parameter.requires_grad)
        {
            parameter.grad?.zero_();
        }
    }

    /// <summary>One head: its layers and the state of the current step.</summary>
    private sealed class Head(string task, int[] labels, Layer[] layers, HeadActivation activation, float dropout)
    {
        public string Task { get; } = task;

        public int[] Labels { get; } = labels;

        public Layer[] Layers { get; } = layers;

        public HeadActivation Activation { get; } = activation;

        public float Dropout { get; } = dropout;

        /// <summary>Whether any of the head's parameters is trainable (read once per step).</summary>
        public bool Trains { get; set; }

        public bool HasLoss { get; set; }

        /// <summary>∂total/∂CE: the task weight, or exp(−s) with uncertainty weighting.</summary>
        public double LossScale { get; set; }

        public double LogVarianceGradient { get; set; }
    }

    /// <summary>One linear layer with the step's buffers, (B, out) each.</summary>
    private sealed class Layer
    {
        public Layer(Linear linear, int batchSize)
        {
            Weight = linear.weight!;
            Bias = linear.bias!;
            Out = (int)Weight.shape[0];
            In = (int)Weight.shape[1];
            Output = new float[batchSize * Out];
            Slope = new float[batchSize * Out];
            Gradient = new float[batchSize * Out];
        }

        public Parameter Weight { get; }

        public Parameter Bias { get; }

        public int Out { get; }

        public int In { get; }

        /// <summary>The layer's output: after activation and dropout for hidden layers, the logits for the last.</summary>
        public float[] Output { get; }

        /// <summary>∂output/∂pre-activation: activation′ × dropout scale (hidden layers).</summary>
        public float[] Slope { get; }

        /// <summary>∂loss/∂pre-activation.</summary>
        public float[] Gradient { get; }
    }
}
