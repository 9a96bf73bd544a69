using System.Diagnostics;
using SentenceMtl.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SentenceMtl;

/// <summary>
/// Trains a <see cref="MultiTaskModel"/> on the weighted sum of its tasks' cross-entropy losses with AdamW,
/// warm-up + linear decay, gradient clipping and seeded shuffling; optionally with learned uncertainty weights and
/// early stopping on a validation set. A short linear loop: one dispose scope per step.
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
            throw new ArgumentException($"TaskWeights names unknown task '{unknown}'.", nameof(options));
        }

        this.model = model;
        Options = options;
    }

    /// <summary>The hyper-parameters.</summary>
    public TrainerOptions Options { get; }

    /// <summary>
    /// Whether heads on cached embeddings train with <see cref="HeadBackpropagation"/> where it applies (default), or
    /// always with libtorch autograd (tests compare the two).
    /// </summary>
    internal bool HandwrittenHeadSteps { get; init; } = true;

    /// <summary>Trains the model in place.</summary>
    /// <remarks>
    /// When the backbone stays frozen, embeddings are computed once and the heads train on the cache: on the CPU with
    /// float32 weights by hand-written forward and backward passes (autograd's gradients without its per-call cost;
    /// dropout masks from their own seeded generator, not libtorch's), otherwise with one libtorch
    /// intra-op thread (the thread count is process-wide in libtorch and is restored when training ends). A batch whose
    /// labels all belong to frozen heads counts towards the epoch's loss but updates nothing. Calls on the model from
    /// other threads (encoding, prediction, saving, freezing, disposing) wait until training ends.
    /// </remarks>
    /// <param name="train">Training examples (with the model's tasks).</param>
    /// <param name="validation">Optional validation examples for per-epoch macro-F1, best-weights selection and early stopping.</param>
    /// <param name="progress">Receives a report after every step and at the end of every epoch.</param>
    /// <param name="cancellationToken">Honoured between steps; the model then keeps the weights of the last finished step.</param>
    /// <exception cref="InvalidOperationException">
    /// Nothing is trainable; or training diverged (a loss NaN, infinite or above 1e30, or a weight NaN or infinite at the
    /// end of an epoch): the weights are then restored to those at the start of that epoch, and the message names the
    /// epoch and step (or weight) and suggests lower learning rates.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    public TrainingResult Train(MultiTaskDataset train, MultiTaskDataset? validation = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
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

        using var lease = model.Exclusive();                                                   // other threads' calls wait: training changes freezing and weights
        var o = Options;
        var tasks = model.Tasks;
        int layerCount = model.Encoder.Backbone.Layers.Count;
        var phases = Enumerable.Range(0, o.Epochs).Select(e => PhaseFor(e, layerCount)).ToArray();
        bool frozenThroughout = phases.All(p => p.BackboneFrozen);
        bool useCache = o.CacheFrozenEmbeddings && frozenThroughout;
        if (!frozenThroughout)
        {
            model.Encoder.DropEngine();                                                         // its copy of the weights would go stale: libtorch until the end
        }

        var labels = tasks.ToDictionary(t => t.Name, t => train.LabelIndices(t.Name), StringComparer.Ordinal);
        var tokenIds = useCache ? null : model.Encoder.TokenizeAll(train.Texts);
        int stepsPerEpoch = (train.Count + o.BatchSize - 1) / o.BatchSize;
        int totalSteps = stepsPerEpoch * o.Epochs;
        int warmupSteps = (int)Math.Floor(o.WarmupRatio * totalSteps);

        var logVariances = o.UncertaintyWeighting
            ? tasks.ToDictionary(t => t.Name, t => new Parameter(zeros(1, device: model.Encoder.Device)), StringComparer.Ordinal)
            : null;
        var optimizers = new Dictionary<string, (FusedAdamW Optimizer, List<(FusedAdamW.Group Group, double BaseLr)> Groups)>();
        var rng = new Random(unchecked((int)o.Seed));
        torch.manual_seed(o.Seed);

        var history = new List<EpochSummary>();
        double bestScore = double.NegativeInfinity;
        int bestEpoch = 0, epochsWithoutImprovement = 0;
        bool stoppedEarly = false;
        Dictionary<string, Tensor>? bestWeights = null;
        Tensor? cache = null, validationCache = null;
        HeadBackpropagation? handwritten = null;
        using var divergence = new DivergenceGuard(model.AllParametersByName()
            .Where(p => !frozenThroughout || !p.Name.StartsWith("backbone.", StringComparison.Ordinal)));
        var userHeadFrozen = tasks.ToDictionary(t => t.Name, t => model.IsHeadFrozen(t.Name), StringComparer.Ordinal);
        var userRequiresGrad = model.AllParametersByName().Select(p => (p.Parameter, p.Parameter.requires_grad)).ToList();
        int step = 0;
        Phase? appliedPhase = null;
        bool backboneFrozen = false;
        List<(string Name, Parameter Parameter)> trainable = [];
        // Heads on cached embeddings are tiny matrix products: one intra-op thread is fastest, and with more, libtorch's
        // OpenMP barriers stall whenever another process competes for the cores. (Process-wide; restored afterwards.)
        int threads = torch.get_num_threads();
        Tensor EncodeForCache(IReadOnlyList<string> texts)
        {
            torch.set_num_threads(threads);                                                     // the backbone wants every core
            var embeddings = model.Encoder.EncodeToTensor(texts, cancellationToken);           // (N, H), computed once
            torch.set_num_threads(1);
            return embeddings;
        }

        try
        {
            for (int epoch = 0; epoch < o.Epochs; epoch++)
            {
                var watch = Stopwatch.StartNew();
                var phase = phases[epoch];
                if (phase != appliedPhase)                                                      // freezing walks every parameter: only when it changes
                {
                    ApplyPhase(phase, userHeadFrozen);
                    trainable = model.NamedTrainableParameters().ToList();
                    if (trainable.Count == 0)
                    {
                        throw new InvalidOperationException(
                            $"Nothing to train in epoch {epoch + 1}: the backbone and every head are frozen. Unfreeze a head (UnfreezeHead) or the backbone.");
                    }

                    appliedPhase = phase;
                    backboneFrozen = model.IsBackboneFrozen;
                }

                var current = OptimizerFor(phase, trainable, logVariances, optimizers);
                model.SetTrainingMode(true, backboneFrozen);
                if (useCache && cache is null)
                {
                    cache = EncodeForCache(train.Texts);
                    handwritten = HandwrittenHeadSteps ? HeadBackpropagation.TryCreate(model, cache, labels, o.BatchSize, o.Seed) : null;
                }

                var order = Enumerable.Range(0, train.Count).ToArray();
                rng.Shuffle(order);
                double lossSum = 0;
                var taskLossSum = tasks.ToDictionary(t => t.Name, _ => 0.0, StringComparer.Ordinal);
                var taskLossCount = tasks.ToDictionary(t => t.Name, _ => 0, StringComparer.Ordinal);
                foreach (var batch in order.Chunk(o.BatchSize))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var scope = NewDisposeScope();
                    double factor = Schedule(step, warmupSteps, totalSteps);
                    foreach (var (group, baseLr) in current.Groups)
                    {
                        group.LearningRate = baseLr * factor;
                    }

                    double lossValue;
                    Dictionary<string, double> perTask;
                    if (handwritten is not null)
                    {
                        if (handwritten.Forward(batch, TaskWeight, logVariances) is not { } loss)
                        {
                            step++;
                            continue; // no labels for any task in this batch (possible with partially labelled data)
                        }

                        (lossValue, perTask) = loss;
                        divergence.CheckLoss(lossValue, epoch, step);
                        if (handwritten.ReachesTrainableParameters)
                        {
                            handwritten.Backward(logVariances);                                // writes every trainable .grad
                            current.Optimizer.Step(o.MaxGradientNorm);                        // clips to the global norm first
                        }
                    }
                    else
                    {
                        var logits = cache is not null
                            ? model.ForwardHeads(cache.index_select(0, tensor(batch.Select(i => (long)i).ToArray(), device: cache.device)))
                            : ForwardUncached(batch, tokenIds!, phase.BackboneFrozen);
                        (var total, perTask) = Loss(logits, batch, labels, logVariances);
                        if (total is null)
                        {
                            step++;
                            continue;
                        }

                        lossValue = total.item<float>();
                        divergence.CheckLoss(lossValue, epoch, step);
                        if (total.requires_grad)                                                // false when only frozen heads had labels
                        {
                            current.Optimizer.ZeroGrad();
                            total.backward();
                            current.Optimizer.Step(o.MaxGradientNorm);
                        }
                    }

                    step++;
                    lossSum += lossValue;
                    foreach (var (name, value) in perTask)
                    {
                        taskLossSum[name] += value;
                        taskLossCount[name]++;
                    }

                    progress?.Report(new TrainingProgress(epoch + 1, step, totalSteps, lossValue, perTask));
                }

                divergence.EndEpoch(epoch, step);
                model.SetTrainingMode(false, backboneFrozen);
                IReadOnlyDictionary<string, double>? f1 = null;
                if (validation is not null)
                {
                    if (frozenThroughout && o.CacheFrozenEmbeddings)
                    {
                        validationCache ??= EncodeForCache(validation.Texts);
                    }

                    var probabilities = validationCache is not null
                        ? model.PredictFromEmbeddings(validationCache)
                        : model.PredictProbabilities(validation.Texts, cancellationToken);
                    f1 = model.Report(validation, probabilities).ToDictionary(kv => kv.Key, kv => kv.Value.MacroAverage.F1Score);
                }

                var summary = new EpochSummary(epoch + 1, lossSum / stepsPerEpoch,
                    taskLossSum.Where(kv => taskLossCount[kv.Key] > 0).ToDictionary(kv => kv.Key, kv => kv.Value / taskLossCount[kv.Key]),
                    f1, watch.Elapsed);
                history.Add(summary);
                progress?.Report(new TrainingProgress(epoch + 1, step, totalSteps, summary.Loss, summary.TaskLosses, f1, IsEpochEnd: true));

                if (summary.MeanValidationMacroF1 is { } score)
                {
                    if (score > bestScore)
                    {
                        bestScore = score;
                        bestEpoch = epoch + 1;
                        epochsWithoutImprovement = 0;
                        DisposeAll(bestWeights);
                        bestWeights = Snapshot(includeBackbone: !frozenThroughout);
                    }
                    else if (o.EarlyStoppingPatience > 0 && ++epochsWithoutImprovement >= o.EarlyStoppingPatience)
                    {
                        stoppedEarly = true;
                        break;
                    }
                }
                else
                {
                    bestEpoch = epoch + 1;
                }
            }

            if (bestWeights is not null)
            {
                Restore(bestWeights);
            }
        }
        finally
        {
            torch.set_num_threads(threads);
            model.SetTrainingMode(false);
            foreach (var (parameter, requiresGrad) in userRequiresGrad)
            {
                parameter.requires_grad = requiresGrad; // strategies change freezing only for the run
            }

            if (!frozenThroughout)
            {
                model.Encoder.RefreshEngine();                                                  // from the trained weights, if frozen again
            }

            cache?.Dispose();
            validationCache?.Dispose();
            DisposeAll(bestWeights);
            foreach (var (optimizer, _) in optimizers.Values)
            {
                optimizer.Dispose();
            }
        }

        var weights = tasks.ToDictionary(t => t.Name,
            t => logVariances is not null ? Math.Exp(-logVariances[t.Name].item<float>()) : TaskWeight(t.Name), StringComparer.Ordinal);
        logVariances?.Values.ToList().ForEach(p => p.Dispose());
        return new TrainingResult(history, bestEpoch, stoppedEarly, weights);
    }

    /// <summary>
    /// The weighted loss of one batch: Σ_t w_t · CE_t over the examples labelled for t (tasks without labels in the
    /// batch contribute nothing), or with uncertainty weighting Σ_t exp(-s_t) · CE_t + s_t / 2.
    /// </summary>
    internal (Tensor? Total, Dictionary<string, double> PerTask) Loss(Dictionary<string, Tensor> logits, int[] batch,
        Dictionary<string, int[]> labels, Dictionary<string, Parameter>? logVariances)
    {
        Tensor? total = null;
        var perTask = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var task in model.Tasks)
        {
            var gold = batch.Select(i => labels[task.Name][i]).ToArray();
            var rows = Enumerable.Range(0, gold.Length).Where(r => gold[r] >= 0).Select(r => (long)r).ToArray();
            if (rows.Length == 0)
            {
                continue;
            }

            var taskLogits = logits[task.Name];                                                 // (B, C)
            var target = tensor(rows.Select(r => (long)gold[r]).ToArray(), device: taskLogits.device);
            var selected = rows.Length == gold.Length ? taskLogits : taskLogits.index_select(0, tensor(rows, device: taskLogits.device));
            var ce = nn.functional.cross_entropy(selected, target);                             // mean over labelled rows
            perTask[task.Name] = ce.item<float>();
            double weight = TaskWeight(task.Name);
            var weighted = logVariances is not null
                ? (ce * (-logVariances[task.Name]).exp()).sum() + (logVariances[task.Name].sum() * 0.5)
                : weight == 1.0 ? ce : ce * weight;                                             // ×1 exactly: no extra graph node
            total = total is null ? weighted : total + weighted;
        }

        return (total, perTask);
    }

    private double TaskWeight(string task) =>
        Options.TaskWeights is not null && Options.TaskWeights.TryGetValue(task, out double w) ? w : 1.0;

    private Dictionary<string, Tensor> ForwardUncached(int[] batch, int[][] tokenIds, bool backboneFrozen)
    {
        var (ids, mask) = model.Encoder.Collate(batch.Select(i => tokenIds[i]).ToArray());
        if (!backboneFrozen)
        {
            return model.Forward(ids, mask);
        }

        Tensor embeddings;
        using (no_grad())
        {
            embeddings = model.Encoder.Embed(ids, mask);                                        // (B, H), no graph through the backbone
        }

        return model.ForwardHeads(embeddings);
    }

    /// <summary>Linear warm-up from 0 to 1 over <paramref name="warmup"/> steps, then linear decay to 0 at <paramref name="total"/>.</summary>
    internal static double Schedule(int step, int warmup, int total) =>
        step < warmup ? (step + 1.0) / (warmup + 1.0) : Math.Max(0.0, (total - step) / (double)Math.Max(1, total - warmup));

    // ---------------------------------------------------------------- strategies

    /// <param name="BackboneFrozen">The whole backbone is frozen this epoch.</param>
    /// <param name="FrozenLowerLayers">With an unfrozen backbone: the lowest layers that stay frozen (null: none, embeddings train too).</param>
    /// <param name="OnlyHead">Alternating heads: the one head that trains this epoch.</param>
    private sealed record Phase(bool BackboneFrozen, int? FrozenLowerLayers, string? OnlyHead)
    {
        public string Key => $"{BackboneFrozen}/{FrozenLowerLayers}/{OnlyHead}";
    }

    private Phase PhaseFor(int epoch, int layerCount) => Options.Strategy switch
    {
        TrainingStrategy.HeadsOnly => new Phase(true, null, null),
        TrainingStrategy.FullFineTuning => new Phase(false, null, null),
        TrainingStrategy.AlternatingHeads => new Phase(model.IsBackboneFrozen, null, model.Tasks[epoch % model.Tasks.Count].Name),
        TrainingStrategy.GradualUnfreezing => epoch == 0
            ? new Phase(true, null, null)
            : new Phase(false, Math.Max(0, layerCount - epoch), null),
        _ => throw new ArgumentOutOfRangeException(nameof(Options), Options.Strategy, "Unknown strategy."),
    };

    private void ApplyPhase(Phase phase, Dictionary<string, bool> userHeadFrozen)
    {
        if (phase.BackboneFrozen)
        {
            model.FreezeBackbone();
        }
        else if (phase.FrozenLowerLayers is { } frozen)
        {
            model.FreezeLowerLayers(frozen);
        }
        else
        {
            model.UnfreezeBackbone();
        }

        foreach (var task in model.Tasks)
        {
            bool train = phase.OnlyHead is null ? !userHeadFrozen[task.Name] : phase.OnlyHead == task.Name;
            if (train)
            {
                model.UnfreezeHead(task.Name);
            }
            else
            {
                model.FreezeHead(task.Name);
            }
        }
    }

    /// <summary>
    /// One AdamW per distinct set of trainable parameters (kept across epochs, so alternating heads keep their
    /// moments). Groups: heads at the head rate, backbone layers at the backbone rate (scaled down per layer below the
    /// top for gradual unfreezing); weight decay only on matrices (no biases, no LayerNorm weights).
    /// </summary>
    private (FusedAdamW Optimizer, List<(FusedAdamW.Group Group, double BaseLr)> Groups) OptimizerFor(
        Phase phase, List<(string Name, Parameter Parameter)> trainable, Dictionary<string, Parameter>? logVariances,
        Dictionary<string, (FusedAdamW, List<(FusedAdamW.Group, double)>)> cache)
    {
        string key = phase.Key + "|" + string.Join(",", trainable.Select(p => p.Name));
        if (cache.TryGetValue(key, out var existing))
        {
            return existing;
        }

        var o = Options;
        int layers = model.Encoder.Backbone.Layers.Count;
        var byRate = new Dictionary<(double Lr, bool Decay), List<Parameter>>();
        foreach (var (name, parameter) in trainable)
        {
            double lr = name.StartsWith("heads.", StringComparison.Ordinal) ? o.HeadLearningRate : BackboneRate(name, layers);
            bool decay = parameter.dim() >= 2;
            if (!byRate.TryGetValue((lr, decay), out var list))
            {
                byRate[(lr, decay)] = list = [];
            }

            list.Add(parameter);
        }

        if (logVariances is not null)
        {
            byRate[(o.HeadLearningRate, false)] = [.. byRate.GetValueOrDefault((o.HeadLearningRate, false)) ?? [], .. logVariances.Values];
        }

        var optimizer = new FusedAdamW(byRate.Select(kv => ((IReadOnlyList<Parameter>)kv.Value, kv.Key.Lr, kv.Key.Decay ? o.WeightDecay : 0.0)));
        var entry = (optimizer, optimizer.Groups.Zip(byRate.Keys, (g, k) => (g, k.Lr)).ToList());
        cache[key] = entry;
        return entry;
    }

    private double BackboneRate(string name, int layers)
    {
        if (Options.Strategy != TrainingStrategy.GradualUnfreezing)
        {
            return Options.BackboneLearningRate;
        }

        // backbone.encoder.layer.{i}.… : layer i learns decay^(top − i) slower; embeddings/pooler as the bottom/top.
        const string prefix = "backbone.encoder.layer.";
        int depthBelowTop = name.StartsWith(prefix, StringComparison.Ordinal)
            ? layers - 1 - int.Parse(name.AsSpan(prefix.Length, name.IndexOf('.', prefix.Length) - prefix.Length), System.Globalization.CultureInfo.InvariantCulture)
            : name.StartsWith("backbone.embeddings.", StringComparison.Ordinal) ? layers : 0;
        return Options.BackboneLearningRate * Math.Pow(Options.LayerLearningRateDecay, depthBelowTop);
    }

    // ---------------------------------------------------------------- best weights

    /// <summary>Copies of the weights that can change in this run (the heads only, when the backbone stays frozen).</summary>
    private Dictionary<string, Tensor> Snapshot(bool includeBackbone)
    {
        using var noGrad = no_grad();
        return model.AllParametersByName()
            .Where(p => includeBackbone || !p.Name.StartsWith("backbone.", StringComparison.Ordinal))
            .ToDictionary(p => p.Name, p => p.Parameter.detach().clone(), StringComparer.Ordinal);
    }

    private void Restore(Dictionary<string, Tensor> weights)
    {
        using var noGrad = no_grad();
        foreach (var (name, parameter) in model.AllParametersByName())
        {
            if (weights.TryGetValue(name, out var saved))
            {
                parameter.copy_(saved);
            }
        }
    }

    private static void DisposeAll(Dictionary<string, Tensor>? tensors)
    {
        foreach (var t in tensors?.Values ?? Enumerable.Empty<Tensor>())
        {
            t.Dispose();
        }
    }
}
