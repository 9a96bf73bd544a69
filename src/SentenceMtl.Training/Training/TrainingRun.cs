using System.Diagnostics;
using SentenceMtl.Training.Contrastive;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SentenceMtl.Training;

/// <summary>
/// The state of one <see cref="MultiTaskTrainer.Train"/> call and its phases: <see cref="Prepare"/> (labels, schedule,
/// freezing to restore), <see cref="RunEpoch"/> (the supervised steps of one epoch), <see cref="Validate"/>; disposing it
/// puts back the freezing and the thread count. The caller holds the core model's exclusive lease.
/// </summary>
internal sealed partial class TrainingRun : IDisposable
{
    private readonly TrainableModel model;
    private readonly TrainerOptions options;
    private readonly MultiTaskDataset train;
    private readonly CancellationToken cancellationToken;
    private readonly TrainingPhase[] phases;
    private readonly Dictionary<string, int[]> labels;
    private readonly Dictionary<string, bool> userHeadFrozen;
    private readonly List<(Parameter Parameter, bool RequiresGrad)> userRequiresGrad;
    private readonly Dictionary<string, Parameter>? logVariances;
    private readonly MultiTaskLoss loss;
    private readonly Dictionary<string, TrainingOptimizer> optimizers = new(StringComparer.Ordinal);
    private readonly Random shuffle;
    private readonly int threads;

    /// <summary>Most bytes of cached lower-layer token states for steps that train the top layers (256 MiB: about
    /// 175,000 tokens at 384 dimensions); a larger training set runs the whole backbone at every step.</summary>
    private const long MaxLowerStateBytes = 256L << 20;
    private DivergenceGuard? divergence;
    private int[][]? tokenIds;
    private Tensor? cache;
    private Tensor? validationCache;
    private TrainingPhase? applied;
    private List<(string Name, Parameter Parameter)> trainable = [];
    private int step;
    private int contrastiveSteps;
    private List<(string Name, Parameter Parameter)>? supervisedParameters;
    private FrozenLayerStates? lowerStates;

    private TrainingRun(TrainableModel model, TrainerOptions options, MultiTaskDataset train, CancellationToken cancellationToken)
    {
        this.model = model;
        this.options = options;
        this.train = train;
        this.cancellationToken = cancellationToken;
        var tasks = model.Tasks;
        int layerCount = model.Encoder.Backbone.Layers.Count;
        EpochCount = options.SupervisedEpochs;
        phases = [.. Enumerable.Range(0, EpochCount).Select(e => TrainingPhase.For(options, e, layerCount, tasks))];
        BackboneChanges = options.Strategy == TrainingStrategy.Contrastive || phases.Any(p => !p.BackboneFrozen);
        labels = tasks.ToDictionary(t => t.Name, t => train.LabelIndices(t.Name), StringComparer.Ordinal);
        userHeadFrozen = tasks.ToDictionary(t => t.Name, t => model.IsHeadFrozen(t.Name), StringComparer.Ordinal);
        userRequiresGrad = [.. model.AllParametersByName().Select(p => (p.Parameter, p.Parameter.requires_grad))];
        logVariances = options.UncertaintyWeighting
            ? tasks.ToDictionary(t => t.Name, t => new Parameter(zeros(1, device: model.Encoder.Device)), StringComparer.Ordinal)
            : null;
        loss = new MultiTaskLoss(tasks, TaskWeight, logVariances);
        StepsPerEpoch = (train.Count + options.BatchSize - 1) / options.BatchSize;
        TotalSteps = StepsPerEpoch * EpochCount;
        shuffle = new Random(unchecked((int)options.Seed));
        threads = torch.get_num_threads();
    }

    /// <summary>Whether any stage trains backbone weights (then the core model gets a new encoder built from them).</summary>
    public bool BackboneChanges { get; }

    /// <summary>Whether any weight may have changed: a contrastive or supervised step ran (then training hands back).</summary>
    public bool Trained => step > 0 || contrastiveSteps > 0;

    /// <summary>Supervised steps per epoch.</summary>
    public int StepsPerEpoch { get; }

    /// <summary>Epochs of the supervised stage: <see cref="TrainerOptions.Epochs"/>, then any end-to-end epochs.</summary>
    public int EpochCount { get; }

    /// <summary>Supervised steps of the whole run.</summary>
    public int TotalSteps { get; }

    /// <summary>
    /// Whether 0-based <paramref name="epoch"/> trains the heads on cached embeddings: the backbone is frozen in it and in
    /// every epoch before it, so the embeddings computed once still hold.
    /// </summary>
    private bool Cached(int epoch) => options.CacheFrozenEmbeddings && phases.Take(epoch + 1).All(p => p.BackboneFrozen);

    /// <summary>Sets up a run: the labels, the schedule, the freezing to restore, the seeds.</summary>
    public static TrainingRun Prepare(TrainableModel model, TrainerOptions options, MultiTaskDataset train, CancellationToken cancellationToken)
    {
        var run = new TrainingRun(model, options, train, cancellationToken);
        torch.manual_seed(options.Seed);
        return run;
    }

    /// <summary>
    /// The parameters the supervised stage can change, with their names, for the best-epoch and divergence copies: those
    /// that train in at least one epoch's phase (the heads only while the backbone stays frozen; with end-to-end epochs,
    /// the heads and the top layers, not the 22 million weights of the whole backbone).
    /// </summary>
    public List<(string Name, Parameter Parameter)> SupervisedParameters()
    {
        if (supervisedParameters is null)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var phase in phases.Distinct())
            {
                phase.Apply(model, userHeadFrozen);
                names.UnionWith(model.NamedTrainableParameters().Select(p => p.Name));
            }

            applied?.Apply(model, userHeadFrozen);                                              // back to the epoch's own phase, if one is applied
            supervisedParameters = [.. model.AllParametersByName().Where(p => names.Contains(p.Name))];
        }

        return supervisedParameters;
    }

    /// <summary>Runs the supervised steps of 0-based <paramref name="epoch"/>.</summary>
    /// <returns>The epoch's summary, without validation scores.</returns>
    /// <exception cref="InvalidOperationException">Nothing is trainable, or the run diverged (the weights are restored).</exception>
    public EpochSummary RunEpoch(int epoch, IProgress<TrainingProgress>? progress)
    {
        var watch = Stopwatch.StartNew();
        var optimizer = EnterPhase(epoch);
        divergence ??= new DivergenceGuard(SupervisedParameters());
        model.SetTrainingMode(true, phases[epoch].BackboneFrozen);
        if (Cached(epoch))
        {
            cache ??= EncodeForCache(train.Texts);
        }
        else
        {
            UncacheBackbone();
            tokenIds ??= model.Encoder.TokenizeAll(train.Texts);
            PrepareLowerLayerStates(phases[epoch]);
        }

        var order = Enumerable.Range(0, train.Count).ToArray();
        shuffle.Shuffle(order);
        var sums = new LossSums(model.Tasks);
        foreach (var batch in order.Chunk(options.BatchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = Step(batch, epoch, optimizer);
            step++;
            if (result is { } trained)
            {
                sums.Add(trained.Loss, trained.PerTask);
                progress?.Report(new TrainingProgress(epoch + 1, step, TotalSteps, trained.Loss, trained.PerTask));
            }
        }

        divergence.EndEpoch(epoch, step);
        model.SetTrainingMode(false, phases[epoch].BackboneFrozen);
        return new EpochSummary(epoch + 1, sums.MeanLoss, sums.MeanTaskLosses(), null, watch.Elapsed);
    }

    /// <summary>Macro-F1 per task on <paramref name="validation"/>, or null without a validation set.</summary>
    public IReadOnlyDictionary<string, double>? Validate(MultiTaskDataset? validation)
    {
        if (validation is null)
        {
            return null;
        }

        Dictionary<string, float[][]> probabilities;
        if (cache is not null)
        {
            validationCache ??= EncodeForCache(validation.Texts);
            probabilities = model.PredictFromEmbeddings(validationCache);
        }
        else
        {
            using var embeddings = model.Encoder.EncodeToTensor(validation.Texts, cancellationToken);
            probabilities = model.PredictFromEmbeddings(embeddings);
        }

        return model.Model.Report(validation, probabilities).ToDictionary(kv => kv.Key, kv => kv.Value.MacroAverage.F1Score, StringComparer.Ordinal);
    }

    /// <summary>The final task weights (the learned ones with uncertainty weighting).</summary>
    public Dictionary<string, double> TaskWeights() => model.Tasks.ToDictionary(t => t.Name,
        t => logVariances is not null ? Math.Exp(-logVariances[t.Name].item<float>()) : TaskWeight(t.Name), StringComparer.Ordinal);

    /// <inheritdoc/>
    public void Dispose()
    {
        torch.set_num_threads(threads);
        model.SetTrainingMode(false);
        foreach (var (parameter, requiresGrad) in userRequiresGrad)
        {
            parameter.requires_grad = requiresGrad;                                             // strategies change freezing only for the run
        }

        cache?.Dispose();
        validationCache?.Dispose();
        lowerStates?.Dispose();
        divergence?.Dispose();
        foreach (var optimizer in optimizers.Values)
        {
            optimizer.Dispose();
        }

        foreach (var p in logVariances?.Values ?? Enumerable.Empty<Parameter>())
        {
            p.Dispose();
        }
    }

    private double TaskWeight(string task) =>
        options.TaskWeights is not null && options.TaskWeights.TryGetValue(task, out double w) ? w : 1.0;
}
