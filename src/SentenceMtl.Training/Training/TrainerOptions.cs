namespace SentenceMtl;

/// <summary>Hyper-parameters of <see cref="MultiTaskTrainer"/>.</summary>
public sealed record TrainerOptions
{
    /// <summary>Passes over the training set (default 30).</summary>
    public int Epochs { get; init; } = 30;

    /// <summary>Examples per optimisation step (default 16).</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Peak learning rate of the heads (default 1e-3).</summary>
    public double HeadLearningRate { get; init; } = 1e-3;

    /// <summary>Peak learning rate of the backbone's top layer when it trains (default 2e-5).</summary>
    public double BackboneLearningRate { get; init; } = 2e-5;

    /// <summary>AdamW decoupled weight decay on matrices (none on biases and LayerNorm weights; default 0.01).</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Fraction of all steps with a linear warm-up from 0; then linear decay to 0 (default 0.1).</summary>
    public double WarmupRatio { get; init; } = 0.1;

    /// <summary>Gradients are clipped to this global L2 norm; 0 disables clipping (default 1).</summary>
    public double MaxGradientNorm { get; init; } = 1.0;

    /// <summary>Seed of shuffling and dropout (default 42).</summary>
    public long Seed { get; init; } = 42;

    /// <summary>
    /// Which parameters train (default <see cref="TrainingStrategy.HeadsOnly"/>): the only knob for the backbone. The
    /// model's backbone freezing is set by the strategy for the run and put back afterwards.
    /// </summary>
    public TrainingStrategy Strategy { get; init; } = TrainingStrategy.HeadsOnly;

    /// <summary>The backbone's contrastive stage with <see cref="TrainingStrategy.Contrastive"/> (SetFit's defaults).
    /// <see cref="Epochs"/>, <see cref="BatchSize"/> and <see cref="HeadLearningRate"/> then apply to the heads' stage.</summary>
    public ContrastiveOptions Contrastive { get; init; } = new();

    /// <summary>
    /// Epochs of the supervised stage, the count progress reports run to: <see cref="Epochs"/>, then with
    /// <see cref="TrainingStrategy.Contrastive"/> its <see cref="ContrastiveOptions.EndToEndEpochs"/>.
    /// </summary>
    public int SupervisedEpochs => Epochs + (Strategy == TrainingStrategy.Contrastive ? Contrastive.EndToEndEpochs : 0);

    /// <summary>Loss weight per task name; tasks not listed weigh 1 (default: all 1, total = Σ cross-entropy).</summary>
    public IReadOnlyDictionary<string, double>? TaskWeights { get; init; }

    /// <summary>Learn each task's weight as homoscedastic uncertainty (Kendall et al., 2018):
    /// total = Σ exp(-s_t)·L_t + s_t / 2, with s_t = log σ_t² learned (replaces <see cref="TaskWeights"/>).</summary>
    public bool UncertaintyWeighting { get; init; }

    /// <summary>With a validation set: stop after this many epochs without a better mean macro-F1 (0 = never stop early).
    /// The best epoch's weights are restored either way.</summary>
    public int EarlyStoppingPatience { get; init; }

    /// <summary><see cref="TrainingStrategy.GradualUnfreezing"/>: each layer below the top learns this factor slower (default 0.8).</summary>
    public double LayerLearningRateDecay { get; init; } = 0.8;

    /// <summary>
    /// Cache sentence embeddings while the backbone has stayed frozen (default true): in every epoch of a frozen-backbone
    /// run, in the first epoch of <see cref="TrainingStrategy.GradualUnfreezing"/>, and in the heads' epochs before
    /// <see cref="ContrastiveOptions.EndToEndEpochs"/>.
    /// </summary>
    public bool CacheFrozenEmbeddings { get; init; } = true;

    /// <summary>
    /// The torch device training runs on: <c>"cpu"</c>, <c>"cuda"</c> or <c>"cuda:N"</c> (any case); <c>null</c> (default) =
    /// CUDA when TorchSharp reports it, else the CPU. CUDA needs TorchSharp's CUDA package (<c>TorchSharp-cuda-linux</c>
    /// or <c>TorchSharp-cuda-windows</c>, the same version as <c>TorchSharp-cpu</c>, in its place); without it
    /// <c>"cuda"</c> fails with an <see cref="InvalidOperationException"/> that says so. The trained model predicts on
    /// the CPU, through the core package's engine.
    /// </summary>
    public string? Device { get; init; }

    internal void Validate()
    {
        TorchDevice.Validate(Device);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Epochs, nameof(Epochs));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BatchSize, nameof(BatchSize));
        RequireFinite(HeadLearningRate, nameof(HeadLearningRate), allowZero: false);
        RequireFinite(BackboneLearningRate, nameof(BackboneLearningRate), allowZero: false);
        RequireFinite(WeightDecay, nameof(WeightDecay), allowZero: true);
        RequireFinite(MaxGradientNorm, nameof(MaxGradientNorm), allowZero: true);
        if (WarmupRatio is < 0 or >= 1 || double.IsNaN(WarmupRatio))
        {
            throw new ArgumentOutOfRangeException(nameof(WarmupRatio), WarmupRatio, "Must be in [0, 1).");
        }

        if (LayerLearningRateDecay is <= 0 or > 1 || double.IsNaN(LayerLearningRateDecay))
        {
            throw new ArgumentOutOfRangeException(nameof(LayerLearningRateDecay), LayerLearningRateDecay, "Must be in (0, 1].");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(EarlyStoppingPatience, nameof(EarlyStoppingPatience));
        if (!Enum.IsDefined(Strategy))
        {
            throw new ArgumentOutOfRangeException(nameof(Strategy), Strategy, $"Must be one of {string.Join(", ", Enum.GetNames<TrainingStrategy>())}.");
        }

        ArgumentNullException.ThrowIfNull(Contrastive, nameof(Contrastive));
        Contrastive.Validate();
        if (TaskWeights?.FirstOrDefault(w => w.Value < 0 || !double.IsFinite(w.Value)) is { Key: not null } bad)
        {
            throw new ArgumentOutOfRangeException(nameof(TaskWeights), bad.Value, $"Weight of '{bad.Key}' must be finite and ≥ 0.");
        }
    }

    private static void RequireFinite(double value, string name, bool allowZero)
    {
        if (!double.IsFinite(value) || value < 0 || (!allowZero && value == 0))
        {
            throw new ArgumentOutOfRangeException(name, value, allowZero ? "Must be finite and ≥ 0." : "Must be finite and > 0.");
        }
    }
}
