namespace SentenceMtl;

/// <summary>
/// SetFit body training: settings of the contrastive fine-tuning of the backbone on sentence pairs made from the
/// labelled examples (same label: positive pair; different labels: negative pair), before the heads train.
/// </summary>
public sealed record ContrastiveOptions
{
    /// <summary>Most pair-generation iterations (<see cref="Iterations"/> ≤ this).</summary>
    public const int MaxIterations = 10_000;

    /// <summary>
    /// Pair-generation iterations (SetFit's <c>num_iterations</c>, default 20): per iteration, per task and per labelled
    /// example, one positive and one negative pair. Allowed: 1 to <see cref="MaxIterations"/>.
    /// </summary>
    public int Iterations { get; init; } = 20;

    /// <summary>Passes over the pairs (default 1). Allowed: 1 or more.</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>
    /// Peak AdamW learning rate of the backbone (default 2e-5): linear warm-up over <see cref="WarmupRatio"/> of the
    /// steps, then linear decay to 0, as <see cref="MultiTaskTrainer"/>. Allowed: finite and &gt; 0.
    /// </summary>
    public double LearningRate { get; init; } = 2e-5;

    /// <summary>Pairs per optimisation step (default 16). Allowed: 1 or more.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>The objective (default <see cref="ContrastiveLoss.CosineSimilarity"/>, SetFit's).</summary>
    public ContrastiveLoss Loss { get; init; } = ContrastiveLoss.CosineSimilarity;

    /// <summary>
    /// Most pairs to train on (default 0: no cap). Above it, a deterministic subset is kept that draws from every task and
    /// every label in turn and keeps positives and negatives balanced. Allowed: 0 or more.
    /// </summary>
    public int MaxPairs { get; init; }

    /// <summary>
    /// How many of the backbone's layers train, counted from the top (default 0: the whole backbone, embeddings
    /// included, as SetFit). From 1 up, the embeddings and the layers below stay frozen: their token states are computed
    /// once per sentence before the first step, and each step runs, backpropagates and updates only the top layers (for
    /// all-MiniLM-L6-v2's 6 layers, 3 make a step less than half a whole-backbone step). A backbone with fewer layers
    /// trains all of them, its embeddings frozen. The cached states take 4 bytes per dimension per token for the run
    /// (1.5 KB a token for 384 dimensions: 4.4 MB for 150 sentences of 19 tokens). Allowed: 0 or more.
    /// </summary>
    public int TrainedLayers { get; init; }

    /// <summary>
    /// SetFit's end-to-end second phase (default 0: none): after the heads' <see cref="TrainerOptions.Epochs"/> on the
    /// frozen, pair-trained backbone, this many more epochs train the heads and the backbone's trained layers (the top
    /// <see cref="TrainedLayers"/>, or the whole backbone at 0) together on the cross-entropy, the heads at
    /// <see cref="TrainerOptions.HeadLearningRate"/> and the backbone at <see cref="TrainerOptions.BackboneLearningRate"/>,
    /// with a warm-up and decay of their own (<see cref="TrainerOptions.WarmupRatio"/>). Each of these epochs runs the
    /// trained layers on every training sentence, from the frozen layers' token states computed once (up to 256 MiB of
    /// them; a larger training set runs the whole backbone at every step). Allowed: 0 or more.
    /// </summary>
    public int EndToEndEpochs { get; init; }

    /// <summary>Fraction of the steps with a linear warm-up from 0 (default 0.1). Allowed: [0, 1).</summary>
    public double WarmupRatio { get; init; } = 0.1;

    /// <summary>AdamW decoupled weight decay on matrices, none on biases and LayerNorm weights (default 0.01). Allowed: finite and ≥ 0.</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Gradients are clipped to this global L2 norm; 0 disables clipping (default 1). Allowed: finite and ≥ 0.</summary>
    public double MaxGradientNorm { get; init; } = 1.0;

    /// <summary>
    /// The lowest layers that stay frozen, with the embeddings, for a backbone of <paramref name="layerCount"/> layers:
    /// all but the top <see cref="TrainedLayers"/> (none of them when the backbone has fewer); null when the whole
    /// backbone trains.
    /// </summary>
    internal int? FrozenLowerLayers(int layerCount) => TrainedLayers == 0 ? null : layerCount - Math.Min(TrainedLayers, layerCount);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting outside its allowed range.</summary>
    internal void Validate()
    {
        if (Iterations is < 1 or > MaxIterations)
        {
            throw new ArgumentOutOfRangeException(nameof(Iterations), Iterations,
                $"ContrastiveOptions.Iterations must be from 1 to {MaxIterations:N0} (SetFit's default is 20).");
        }

        RequireAtLeast(Epochs, 1, nameof(Epochs));
        RequireAtLeast(BatchSize, 1, nameof(BatchSize));
        RequireAtLeast(MaxPairs, 0, nameof(MaxPairs), " (0 = no cap)");
        RequireAtLeast(TrainedLayers, 0, nameof(TrainedLayers), " (0 = the whole backbone)");
        RequireAtLeast(EndToEndEpochs, 0, nameof(EndToEndEpochs), " (0 = no end-to-end phase)");
        if (!double.IsFinite(LearningRate) || LearningRate <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate,
                "ContrastiveOptions.LearningRate must be finite and > 0 (SetFit's default is 2e-5).");
        }

        if (!Enum.IsDefined(Loss))
        {
            throw new ArgumentOutOfRangeException(nameof(Loss), Loss,
                $"ContrastiveOptions.Loss must be one of {string.Join(", ", Enum.GetNames<ContrastiveLoss>())}.");
        }

        if (WarmupRatio is < 0 or >= 1 || double.IsNaN(WarmupRatio))
        {
            throw new ArgumentOutOfRangeException(nameof(WarmupRatio), WarmupRatio, "ContrastiveOptions.WarmupRatio must be in [0, 1).");
        }

        RequireFiniteNonNegative(WeightDecay, nameof(WeightDecay));
        RequireFiniteNonNegative(MaxGradientNorm, nameof(MaxGradientNorm), " (0 disables clipping)");
    }

    private static void RequireAtLeast(int value, int minimum, string name, string note = "")
    {
        if (value < minimum)
        {
            throw new ArgumentOutOfRangeException(name, value, $"ContrastiveOptions.{name} must be ≥ {minimum}{note}.");
        }
    }

    private static void RequireFiniteNonNegative(double value, string name, string note = "")
    {
        if (!double.IsFinite(value) || value < 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"ContrastiveOptions.{name} must be finite and ≥ 0{note}.");
        }
    }
}
