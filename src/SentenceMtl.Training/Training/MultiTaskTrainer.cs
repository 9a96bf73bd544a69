using SentenceMtl.MultiTask;
using SentenceMtl.Training;

namespace SentenceMtl;

/// <summary>
/// Trains a <see cref="MultiTaskModel"/> on the weighted sum of its tasks' cross-entropy losses with AdamW,
/// warm-up + linear decay, gradient clipping and seeded shuffling; optionally with learned uncertainty weights and
/// early stopping on a validation set; with <see cref="TrainingStrategy.Contrastive"/>, after contrastive training of the
/// backbone on pairs built from the labels. In phases: prepare the run, (train the backbone on pairs,) run an epoch,
/// validate, keep the best epoch's weights.
/// </summary>
public sealed class MultiTaskTrainer
{
    private readonly MultiTaskModel model;

    /// <summary>Creates a trainer for <paramref name="model"/>.</summary>
    public MultiTaskTrainer(MultiTaskModel model, TrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new TrainerOptions();
        options.Validate();
        var unknown = options.TaskWeights?.Keys.FirstOrDefault(k => model.Tasks.All(t => t.Name != k));
        if (unknown is not null)
        {
            throw new ArgumentException(
                $"TaskWeights names unknown task '{ErrorText.Shorten(unknown)}' (tasks: {ErrorText.List(model.Tasks.Select(t => t.Name))}).", nameof(options));
        }

        this.model = model;
        Options = options;
    }

    /// <summary>The hyper-parameters.</summary>
    public TrainerOptions Options { get; }

    /// <summary>Trains the model: when it returns, the model predicts (and saves) with the trained weights.</summary>
    /// <remarks>
    /// The model's weights are read into TorchSharp modules (libtorch), trained there, and handed back: the heads always,
    /// the encoder when the strategy trained the backbone (the model then gets a new encoder, built from the trained
    /// weights with the old one's settings, quantization included, and the old one is disposed). A model made by
    /// <see cref="MultiTaskModel.Create(string, MultiTaskModelOptions?, SentenceEncoderOptions?)"/> gets fresh heads
    /// seeded by <see cref="MultiTaskModelOptions.Seed"/>; a trained or loaded one trains on from its heads.
    /// <see cref="TrainerOptions.Strategy"/> (with <see cref="ContrastiveOptions.EndToEndEpochs"/>) alone decides what
    /// of the backbone trains; heads frozen with <see cref="MultiTaskModel.FreezeHead"/> stay as they are. Every stage
    /// trains through libtorch's autograd and AdamW. While the backbone has stayed frozen (every epoch so far),
    /// embeddings are computed once (on libtorch, so a seed gives the same weights whatever vector width the CPU has)
    /// and the heads train on the cache with one libtorch intra-op thread (the thread count is process-wide in libtorch
    /// and is restored when training ends). A batch whose labels all belong to frozen heads, or that has no labels,
    /// updates nothing and is left out of the epoch's mean loss. Calls on the model from other threads (prediction,
    /// saving, disposing) wait until training ends.
    /// </remarks>
    /// <param name="train">Training examples (with the model's tasks).</param>
    /// <param name="validation">Optional validation examples for per-epoch macro-F1, best-weights selection and early stopping.</param>
    /// <param name="progress">Receives a report after every step and at the end of every epoch.</param>
    /// <param name="cancellationToken">Honoured between steps; the model then keeps the weights of the last finished step.</param>
    /// <exception cref="InvalidOperationException">
    /// Nothing is trainable; or training diverged (a loss NaN, infinite or above 1e30, or a weight NaN or infinite at the
    /// end of an epoch): the model then keeps the weights from the start of that epoch, and the message names the epoch
    /// and step (or weight) and suggests lower learning rates.
    /// </exception>
    /// <exception cref="PlatformNotSupportedException">libtorch does not exist for this platform (the message names it and
    /// the platforms that have it); the model is unchanged.</exception>
    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    public TrainingResult Train(MultiTaskDataset train, MultiTaskDataset? validation = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        CheckData(train, validation);
        var device = TorchDevice.Resolve(Options.Device) ?? TorchDevice.Cpu();
        using var lease = model.Exclusive();                                                   // other threads' calls wait for the trained model
        using var trainable = TrainableModel.Create(model, device);
        TrainingRun? run = null;
        try
        {
            run = TrainingRun.Prepare(trainable, Options, train, cancellationToken);
            var contrastive = run.TrainBodyContrastively(progress);
            using var best = new BestEpoch(run.SupervisedParameters(), Options.EarlyStoppingPatience);
            var history = new List<EpochSummary>();
            for (int epoch = 0; epoch < run.EpochCount; epoch++)
            {
                var summary = run.RunEpoch(epoch, progress);
                summary = summary with { TaskLosses = Keyed(summary.TaskLosses), ValidationMacroF1 = Keyed(run.Validate(validation)) };
                history.Add(summary);
                progress?.Report(new TrainingProgress(epoch + 1, (epoch + 1) * run.StepsPerEpoch, run.TotalSteps, summary.Loss,
                    summary.TaskLosses, summary.ValidationMacroF1, IsEpochEnd: true));
                if (!best.Observe(summary))
                {
                    break;
                }
            }

            best.RestoreBest();
            return new TrainingResult(history, best.Epoch, best.StoppedEarly, Keyed(run.TaskWeights())) { Contrastive = contrastive };
        }
        finally
        {
            run?.Dispose();                                                                     // puts back freezing and evaluation mode
            if (run is { Trained: true })
            {
                // Also after a divergence (the weights were put back) or a cancellation (the last finished step's weights).
                trainable.HandBack(run.BackboneChanges);
            }
        }
    }

    private void CheckData(MultiTaskDataset train, MultiTaskDataset? validation)
    {
        ArgumentNullException.ThrowIfNull(train);
        model.CheckTasks(train);
        if (validation is not null)
        {
            model.CheckTasks(validation);
        }

        if (train.Count == 0)
        {
            throw new ArgumentException("The training set is empty.", nameof(train));
        }

        if (model.Tasks.All(t => train.LabeledCount(t.Name) == 0))
        {
            throw new ArgumentException("The training set has no labels for any task.", nameof(train));
        }
    }

    // Looking up a task a result does not hold names the tasks it holds.
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(values))]
    private static IReadOnlyDictionary<string, double>? Keyed(IReadOnlyDictionary<string, double>? values) =>
        values is null ? null : new TaskKeyedDictionary<double>(values);

    /// <summary>Linear warm-up from 0 to 1 over <paramref name="warmup"/> steps, then linear decay to 0 at <paramref name="total"/>.</summary>
    internal static double Schedule(int step, int warmup, int total) =>
        step < warmup ? (step + 1.0) / (warmup + 1.0) : Math.Max(0.0, (total - step) / (double)Math.Max(1, total - warmup));
}
