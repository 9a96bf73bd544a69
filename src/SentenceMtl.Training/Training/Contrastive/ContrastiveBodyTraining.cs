using System.Diagnostics;
using SentenceMtl.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace SentenceMtl.Training.Contrastive;

/// <summary>
/// SetFit's body training: fine-tunes the encoder's backbone on sentence pairs so that sentences of the same label
/// embed close together and those of different labels apart. AdamW (weight decay on matrices only) with warm-up and
/// linear decay, global-norm gradient clipping, seeded shuffling and dropout; one dispose scope per step.
/// </summary>
internal static class ContrastiveBodyTraining
{
    private const string WordEmbeddingsName = "embeddings.word_embeddings.weight";

    /// <summary>
    /// Steps between returns of the C heap's free memory. A return hands back the pages of freed activations and the next
    /// steps fault them in again, so returning often costs time and returning seldom costs memory: every 64 steps the
    /// recipe trains about 8 % faster than every 32, as fast as every 128, and peaks lower than at 128
    /// (docs/performance.md).
    /// </summary>
    private const int TrimEvery = 64;

    /// <summary>Trains the backbone's trainable parameters in place on <paramref name="pairs"/>.</summary>
    /// <remarks>
    /// The caller unfreezes the backbone (the parameters to train are those with <c>requires_grad</c>) and afterwards
    /// restores freezing. The trained parts of the backbone run in training mode (dropout) during the run and the whole backbone
    /// is in evaluation mode afterwards, also after an exception. Each step embeds the distinct sentences of its pairs
    /// once (backbone → pooling → optional normalization, with gradients). When the word embeddings train, only the rows
    /// the sentences use are in the optimizer (<see cref="CompactVocabulary"/>: the same weights, at about half the cost).
    /// When the embeddings and the lowest layers are frozen, their output is computed once per sentence before the first
    /// step and each step runs only the layers above (<see cref="FrozenLayerStates"/>).
    /// </remarks>
    /// <param name="encoder">The encoder whose backbone trains.</param>
    /// <param name="texts">The sentences the pairs index.</param>
    /// <param name="pairs">The pairs (see <see cref="ContrastivePairs.Generate(IReadOnlyList{int[]}, ContrastiveOptions, long)"/>); for <see cref="ContrastiveLoss.MultipleNegativesRanking"/> only those labelled 1 are used.</param>
    /// <param name="options">The settings.</param>
    /// <param name="seed">Seed of the per-epoch shuffle and of dropout (<c>torch.manual_seed</c>).</param>
    /// <param name="onStep">Called after every step with the 1-based step, the total steps and the step's loss.</param>
    /// <param name="cancellationToken">Checked before every step; the weights are then those of the last finished step.</param>
    /// <param name="compactVocabulary">Train only the word-embedding rows the sentences use (<see cref="CompactVocabulary"/>);
    /// false trains the whole matrix (the reference the tests compare with).</param>
    /// <param name="cacheFrozenLayers">When the embeddings and the lowest layers are frozen, compute their token states once
    /// (<see cref="FrozenLayerStates"/>) and run only the layers above at each step; false runs the whole backbone at every
    /// step (the reference the tests compare with).</param>
    /// <exception cref="ArgumentException">
    /// A pair indexes outside <paramref name="texts"/> or has a label outside [0, 1], a text is null, no pair is usable, or
    /// the pairs over all epochs number more than <see cref="int.MaxValue"/>.
    /// </exception>
    /// <exception cref="InvalidOperationException">
    /// No backbone parameter is trainable; or the loss became NaN, infinite or above 1e30, or a weight NaN or infinite at
    /// the end of an epoch: the backbone's weights are then put back as they were at the start of that epoch, and the
    /// message names the epoch and step and suggests a lower learning rate.
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static ContrastiveResult Run(TorchEncoder encoder, IReadOnlyList<string> texts, IReadOnlyList<ContrastivePair> pairs,
        ContrastiveOptions options, long seed, Action<int, int, double>? onStep, CancellationToken cancellationToken, bool compactVocabulary = true,
        bool cacheFrozenLayers = true)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var used = UsablePairs(texts, pairs, options.Loss);
        if ((long)used.Length * options.Epochs > int.MaxValue)
        {
            throw new ArgumentException(
                $"{used.Length:N0} pairs × {options.Epochs:N0} epochs is more than {int.MaxValue:N0} pairs to train on: lower ContrastiveOptions.Epochs or MaxPairs.", nameof(options));
        }

        var watch = Stopwatch.StartNew();
        var backbone = encoder.Backbone;
        var trainable = backbone.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        if (trainable.Count == 0)
        {
            throw new InvalidOperationException(
                "The backbone is frozen, so contrastive training has nothing to train: a strategy that trains it unfreezes it (TrainingStrategy.Contrastive).");
        }

        var run = new Schedule(options.Epochs * ((used.Length + options.BatchSize - 1) / options.BatchSize), options.WarmupRatio);
        var tokenIds = encoder.TokenizeAll(texts);
        using var vocabulary = compactVocabulary && trainable.Any(p => p.name == WordEmbeddingsName)                // the rows the sentences use, in place of the whole matrix
            ? CompactVocabulary.Enter(backbone, tokenIds, encoder.PadTokenId)
            : null;
        if (vocabulary is not null)
        {
            tokenIds = vocabulary.TokenIds;
            trainable = [.. trainable.Select(p => p.name == WordEmbeddingsName ? (p.name, vocabulary.Weight) : p)]; // same order
        }

        using var frozen = cacheFrozenLayers && FrozenLayerCount(backbone) is int below and >= 0                   // computed once, in eval mode
            ? FrozenLayerStates.Compute(encoder, tokenIds, below, cancellationToken)
            : null;
        var embed = Embedder(encoder, tokenIds, vocabulary?.PadId, frozen);
        var parameters = trainable.Select(p => p.parameter).ToList();
        using var optimizer = TrainingOptimizer.ForParameters(parameters.Select(p => (p, options.LearningRate)), options.WeightDecay);
        using var divergence = new DivergenceGuard(trainable,                                  // puts the weights of the run's start back
            $"Lower ContrastiveOptions.LearningRate (now {options.LearningRate}) or check the data.");
        var rng = new Random(unchecked((int)(seed ^ (seed >>> 32))));
        torch.manual_seed(seed);
        var epochLosses = new List<double>();
        try
        {
            SetTrainingMode(backbone);
            for (int epoch = 0; epoch < options.Epochs; epoch++)
            {
                var order = (ContrastivePair[])used.Clone();
                rng.Shuffle(order);
                double lossSum = 0;
                foreach (var batch in order.Chunk(options.BatchSize))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    optimizer.Scale(MultiTaskTrainer.Schedule(run.Step, run.WarmupSteps, run.TotalSteps));
                    double loss = Step(embed, batch, options.Loss, optimizer, options.MaxGradientNorm, divergence, epoch, run.Step);
                    vocabulary?.Stepped(optimizer.DecayFactor(vocabulary.Weight));
                    if (run.Step % TrimEvery == 0)
                    {
                        NativeHeap.ReturnFreeMemory();                                          // freed activations (see NativeHeap)
                    }
                    lossSum += loss;
                    run.Step++;
                    onStep?.Invoke(run.Step, run.TotalSteps, loss);
                }

                divergence.EndEpoch(epoch, run.Step);                                           // a non-finite weight throws; else these weights are kept
                vocabulary?.Commit();
                epochLosses.Add(lossSum / (run.TotalSteps / options.Epochs));
                NativeHeap.ReturnFreeMemory();                                                  // the epoch's freed activations (see NativeHeap)
            }
        }
        finally
        {
            vocabulary?.Exit(divergence.Restored);                                              // the whole matrix back, trained
            backbone.eval();
        }

        var duration = watch.Elapsed;
        int trained = used.Length * options.Epochs;
        return new ContrastiveResult(epochLosses, run.Step, trained, trained / Math.Max(duration.TotalSeconds, 1e-9), duration);
    }

    /// <summary>One optimisation step on <paramref name="batch"/> (in its own dispose scope); returns its loss.</summary>
    private static double Step(Func<IReadOnlyList<int>, Tensor> embed, ContrastivePair[] batch, ContrastiveLoss objective,
        TrainingOptimizer optimizer, double maxGradientNorm, DivergenceGuard divergence, int epoch, int step)
    {
        using var scope = NewDisposeScope();

        // Each distinct sentence of the batch is embedded once; the pairs pick their rows.
        var rows = new List<int>();
        var rowOf = new Dictionary<int, long>();
        long Row(int text)
        {
            if (!rowOf.TryGetValue(text, out long row))
            {
                rowOf[text] = row = rows.Count;
                rows.Add(text);
            }

            return row;
        }

        var firstRows = batch.Select(p => Row(p.First)).ToArray();
        var secondRows = batch.Select(p => Row(p.Second)).ToArray();
        var embeddings = embed(rows);                                                           // (S, H), S distinct sentences
        var device = embeddings.device;
        var first = embeddings.index_select(0, tensor(firstRows, device: device));              // (B, H)
        var second = embeddings.index_select(0, tensor(secondRows, device: device));            // (B, H)
        var labels = tensor(batch.Select(p => p.Label).ToArray(), device: device);              // (B)
        var loss = ContrastiveLosses.Compute(objective, first, second, labels);
        double value = loss.item<float>();
        divergence.CheckLoss(value, epoch, step);                                               // NaN, infinite or exploded: restore and throw
        optimizer.Step(loss, maxGradientNorm);
        return value;
    }

    /// <summary>The run's step counter and its warm-up / decay schedule's extent.</summary>
    private sealed class Schedule(int totalSteps, double warmupRatio)
    {
        public int TotalSteps { get; } = totalSteps;

        public int WarmupSteps { get; } = (int)Math.Floor(warmupRatio * totalSteps);

        public int Step { get; set; }
    }

    /// <summary>The pairs the loss uses, after checking every pair against <paramref name="texts"/>.</summary>
    private static ContrastivePair[] UsablePairs(IReadOnlyList<string> texts, IReadOnlyList<ContrastivePair> pairs, ContrastiveLoss loss)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(pairs);
        for (int i = 0; i < texts.Count; i++)
        {
            if (texts[i] is null)
            {
                throw new ArgumentNullException(nameof(texts), $"Text {i} is null.");
            }
        }

        for (int k = 0; k < pairs.Count; k++)
        {
            var p = pairs[k];
            if ((uint)p.First >= (uint)texts.Count || (uint)p.Second >= (uint)texts.Count)
            {
                throw new ArgumentException(
                    $"Pair {k} ({p.First}, {p.Second}) indexes outside the {texts.Count} texts; pairs must come from ContrastivePairs.Generate over these texts.", nameof(pairs));
            }

            if (!(p.Label is >= 0f and <= 1f))
            {
                throw new ArgumentException($"Pair {k} has label {p.Label}; labels are 1 (same class) or 0 (different classes).", nameof(pairs));
            }
        }

        var used = loss == ContrastiveLoss.MultipleNegativesRanking ? pairs.Where(p => p.Label == 1f).ToArray() : pairs.ToArray();
        return used.Length > 0
            ? used
            : throw new ArgumentException(
                loss == ContrastiveLoss.MultipleNegativesRanking
                    ? "No positive pairs to train on: MultipleNegativesRanking needs a label with two or more examples."
                    : "No pairs to train on: a task needs a label with two or more examples, or two labels.", nameof(pairs));
    }

    /// <summary>
    /// What a step embeds its distinct sentences with, with gradients: the layers above <paramref name="frozen"/>'s from
    /// its cached states, or else the whole backbone from the token ids (padded with <paramref name="padId"/>).
    /// </summary>
    private static Func<IReadOnlyList<int>, Tensor> Embedder(TorchEncoder encoder, int[][] tokenIds, long? padId, FrozenLayerStates? frozen) =>
        sentences =>
        {
            if (frozen is not null)
            {
                var (states, mask) = frozen.Collate(sentences);
                return encoder.EmbedFromLayer(states, mask, frozen.Layers);                     // (S, H)
            }

            var (ids, attention) = encoder.Collate(sentences.Select(i => tokenIds[i]).ToArray(), padId);
            return encoder.Embed(ids, attention);                                               // (S, H)
        };

    /// <summary>
    /// The number of lowest layers that are wholly frozen when the embeddings are frozen too (0 to the number of layers:
    /// the first trainable layer), or -1 when the embeddings train.
    /// </summary>
    private static int FrozenLayerCount(Modeling.Bert.BertModel backbone)
    {
        if (backbone.Embeddings.parameters().Any(p => p.requires_grad))
        {
            return -1;
        }

        int count = 0;
        while (count < backbone.Layers.Count && backbone.Layers[count].parameters().All(p => !p.requires_grad))
        {
            count++;
        }

        return count;
    }

    /// <summary>Training mode for the backbone's trainable parts; wholly frozen embeddings and layers stay deterministic.</summary>
    private static void SetTrainingMode(Modeling.Bert.BertModel backbone)
    {
        backbone.train();
        if (backbone.Embeddings.parameters().All(p => !p.requires_grad))
        {
            backbone.Embeddings.eval();
        }

        foreach (var layer in backbone.Layers.Where(l => l.parameters().All(p => !p.requires_grad)))
        {
            layer.eval();
        }
    }
}
