using SentenceMtl.Training.Contrastive;

namespace SentenceMtl.Training;

// TrainingStrategy.Contrastive's first stage: the backbone learns from pairs built from the labels (SetFit).
internal sealed partial class TrainingRun
{
    /// <summary>
    /// With <see cref="TrainingStrategy.Contrastive"/>: trains the backbone (its top <see cref="ContrastiveOptions.TrainedLayers"/>
    /// layers when that is set) on pairs of training sentences, every
    /// task's pairs shuffled together so one backbone serves every head; the supervised stage then trains the heads on the
    /// tuned backbone, frozen. Otherwise does nothing.
    /// </summary>
    /// <returns>What the stage did, or null for other strategies.</returns>
    public ContrastiveSummary? TrainBodyContrastively(IProgress<TrainingProgress>? progress)
    {
        if (options.Strategy != TrainingStrategy.Contrastive)
        {
            return null;
        }

        var settings = options.Contrastive;
        var pairs = ContrastivePairs.Generate([.. model.Tasks.Select(t => labels[t.Name])], settings, options.Seed);
        if (pairs.Count == 0)
        {
            throw new ArgumentException(
                "The training set gives no contrastive pairs: every task needs at least two labels, or a label with two examples. Add examples or use TrainingStrategy.HeadsOnly.",
                "train");
        }

        if (settings.FrozenLowerLayers(model.Encoder.Backbone.Layers.Count) is { } frozen)
        {
            model.FreezeLowerLayers(frozen);                                                    // the embeddings and the layers below stay frozen
        }
        else
        {
            model.UnfreezeBackbone();
        }

        model.SetTrainingMode(false);                                                           // the heads stay in eval mode; the stage sets the backbone's
        var result = ContrastiveBodyTraining.Run(model.Encoder, train.Texts, pairs, settings, options.Seed,
            (step, total, loss) =>
            {
                contrastiveSteps = step;
                progress?.Report(new TrainingProgress(1 + ((step - 1) * settings.Epochs / total), step, total, loss,
                    new Dictionary<string, double>(), Stage: TrainingStage.Contrastive));
            },
            cancellationToken);
        model.FreezeBackbone();
        return new ContrastiveSummary(result.Pairs, result.Steps, result.EpochLosses, result.PairsPerSecond, result.Duration);
    }
}
