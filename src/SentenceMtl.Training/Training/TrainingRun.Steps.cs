using System.Globalization;
using SentenceMtl.Training.Contrastive;
using TorchSharp;
using static TorchSharp.torch;

namespace SentenceMtl.Training;

// The supervised stage's steps: entering an epoch's phase, one optimisation step, the optimizer per phase.
internal sealed partial class TrainingRun
{
    /// <summary>Applies the freezing of <paramref name="epoch"/>'s phase (only when it changes: freezing walks every
    /// parameter) and returns the optimizer of the parameters that train in it.</summary>
    private TrainingOptimizer EnterPhase(int epoch)
    {
        var phase = phases[epoch];
        if (phase != applied)
        {
            phase.Apply(model, userHeadFrozen);
            trainable = model.NamedTrainableParameters().ToList();
            if (trainable.Count == 0)
            {
                throw new InvalidOperationException(
                    $"Nothing to train in epoch {epoch + 1}: the backbone and every head are frozen. Unfreeze a head (UnfreezeHead) or choose a strategy that trains the backbone.");
            }

            applied = phase;
        }

        string key = phase.Key + "|" + string.Join(",", trainable.Select(p => p.Name));
        if (!optimizers.TryGetValue(key, out var optimizer))
        {
            optimizers[key] = optimizer = NewOptimizer();                                      // kept across epochs: alternating heads keep their moments
        }

        return optimizer;
    }

    /// <summary>One optimisation step on <paramref name="batch"/>.</summary>
    /// <returns>The loss, or null when nothing trained: no task has a label in the batch, or only frozen heads do.</returns>
    private (double Loss, Dictionary<string, double> PerTask)? Step(int[] batch, int epoch, TrainingOptimizer optimizer)
    {
        using var scope = NewDisposeScope();
        var logits = cache is not null
            ? model.ForwardHeads(cache.index_select(0, tensor(batch.Select(i => (long)i).ToArray(), device: cache.device)))
            : ForwardUncached(batch, phases[epoch]);
        var (total, perTask) = loss.Compute(logits, batch, labels);
        if (total is null || !total.requires_grad)
        {
            return null;
        }

        double value = total.item<float>();
        divergence!.CheckLoss(value, epoch, step);
        optimizer.Scale(LearningRateScale(epoch));
        optimizer.Step(total, options.MaxGradientNorm);
        return (value, perTask);
    }

    private Dictionary<string, Tensor> ForwardUncached(int[] batch, TrainingPhase phase)
    {
        if (!phase.BackboneFrozen && lowerStates is { } lower && lower.Layers == phase.FrozenLowerLayers)
        {
            var (states, attention) = lower.Collate(batch);
            using var sentences = model.Encoder.EmbedFromLayer(states, attention, lower.Layers);  // (B, H): only the trainable layers run
            return model.ForwardHeads(sentences);
        }

        var (ids, mask) = model.Encoder.Collate(batch.Select(i => tokenIds![i]).ToArray());
        if (!phase.BackboneFrozen)
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

    /// <summary>
    /// Before the steps of an epoch in <paramref name="phase"/> (outside their dispose scopes): when the phase trains the
    /// backbone with its embeddings and lowest layers frozen, computes the training sentences' token states below the
    /// trainable layers once per phase, if they take at most <see cref="MaxLowerStateBytes"/> (else the whole backbone
    /// runs at every step). Frozen parts run in evaluation mode, so their output for a sentence is the same at every step
    /// (<see cref="FrozenLayerStates"/>).
    /// </summary>
    private void PrepareLowerLayerStates(TrainingPhase phase)
    {
        if (phase.BackboneFrozen || phase.FrozenLowerLayers is not { } frozen || lowerStates?.Layers == frozen
            || tokenIds!.Sum(t => (long)t.Length) * model.Encoder.Dimension * sizeof(float) > MaxLowerStateBytes)
        {
            return;
        }

        lowerStates?.Dispose();
        lowerStates = null;
        lowerStates = FrozenLayerStates.Compute(model.Encoder, tokenIds!, frozen, cancellationToken);
    }

    /// <summary>
    /// The learning-rate factor of the current step: a linear warm-up and decay over the heads' epochs, and another over
    /// the end-to-end epochs that follow them (SetFit's second phase starts a schedule of its own).
    /// </summary>
    private double LearningRateScale(int epoch)
    {
        bool endToEnd = epoch >= options.Epochs;
        int first = endToEnd ? options.Epochs * StepsPerEpoch : 0;
        int total = (endToEnd ? EpochCount - options.Epochs : options.Epochs) * StepsPerEpoch;
        return MultiTaskTrainer.Schedule(step - first, (int)Math.Floor(options.WarmupRatio * total), total);
    }

    /// <summary>
    /// Drops the embedding cache once the backbone trains (its embeddings no longer hold) and gives libtorch its threads
    /// back: the backbone's trainable layers run in every step from then on.
    /// </summary>
    private void UncacheBackbone()
    {
        if (cache is not null)
        {
            cache.Dispose();
            cache = null;
            validationCache?.Dispose();
            validationCache = null;
            torch.set_num_threads(threads);
        }
    }

    /// <summary>
    /// Embeddings of <paramref name="texts"/> for the cache, on libtorch with every core; the heads then train on one
    /// intra-op thread: their products are tiny, and with more threads libtorch's barriers stall whenever another process
    /// competes for the cores (the count is process-wide and restored when the run ends).
    /// </summary>
    private Tensor EncodeForCache(IReadOnlyList<string> texts)
    {
        torch.set_num_threads(threads);
        var embeddings = model.Encoder.EncodeToTensor(texts, cancellationToken);    // (N, H), computed once
        torch.set_num_threads(1);
        return embeddings;
    }

    /// <summary>
    /// AdamW groups: heads at the head rate, backbone parameters at the backbone rate (scaled down per layer below the
    /// top for gradual unfreezing); decoupled weight decay only on matrices (no biases, no LayerNorm weights).
    /// </summary>
    private TrainingOptimizer NewOptimizer()
    {
        int layers = model.Encoder.Backbone.Layers.Count;
        var rates = trainable.Select(p => (p.Parameter, p.Name.StartsWith("heads.", StringComparison.Ordinal) ? options.HeadLearningRate : BackboneRate(p.Name, layers)));
        var weights = logVariances?.Values.Select(p => (p, options.HeadLearningRate)) ?? [];                  // learned task weights, never decayed (1-D)
        return TrainingOptimizer.ForParameters(rates.Concat(weights), options.WeightDecay);
    }

    private double BackboneRate(string name, int layers)
    {
        if (options.Strategy != TrainingStrategy.GradualUnfreezing)
        {
            return options.BackboneLearningRate;
        }

        // backbone.encoder.layer.{i}.… : layer i learns decay^(top − i) slower; embeddings/pooler as the bottom/top.
        const string prefix = "backbone.encoder.layer.";
        int depthBelowTop = name.StartsWith(prefix, StringComparison.Ordinal)
            ? layers - 1 - int.Parse(name.AsSpan(prefix.Length, name.IndexOf('.', prefix.Length) - prefix.Length), CultureInfo.InvariantCulture)
            : name.StartsWith("backbone.embeddings.", StringComparison.Ordinal) ? layers : 0;
        return options.BackboneLearningRate * Math.Pow(options.LayerLearningRateDecay, depthBelowTop);
    }

    /// <summary>Sums of the losses of the steps that trained, for the epoch's means.</summary>
    private sealed class LossSums(IReadOnlyList<TaskDefinition> tasks)
    {
        private readonly Dictionary<string, (double Sum, int Count)> perTask = tasks.ToDictionary(t => t.Name, _ => (0.0, 0), StringComparer.Ordinal);
        private double total;
        private int steps;

        /// <summary>The mean total loss over the steps that trained (NaN when none did).</summary>
        public double MeanLoss => steps > 0 ? total / steps : double.NaN;

        public void Add(double loss, IReadOnlyDictionary<string, double> taskLosses)
        {
            total += loss;
            steps++;
            foreach (var (name, value) in taskLosses)
            {
                var (sum, count) = perTask[name];
                perTask[name] = (sum + value, count + 1);
            }
        }

        public Dictionary<string, double> MeanTaskLosses() =>
            perTask.Where(kv => kv.Value.Count > 0).ToDictionary(kv => kv.Key, kv => kv.Value.Sum / kv.Value.Count, StringComparer.Ordinal);
    }
}
