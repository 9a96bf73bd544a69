using SentenceMtl.Tests.MultiTask;

namespace SentenceMtl.Tests.Training;

/// <summary>
/// <see cref="ContrastiveOptions.EndToEndEpochs"/>, SetFit's second phase: after the heads' epochs on the frozen,
/// pair-trained backbone, the heads and the backbone's trained layers train together on the cross-entropy.
/// </summary>
[Collection(GlobalRngCollection.Name)]
public sealed class ContrastiveEndToEndTests : IDisposable
{
    private static readonly TrainerOptions Options = new()
    {
        Strategy = TrainingStrategy.Contrastive,
        Epochs = 4,
        BatchSize = 5,
        BackboneLearningRate = 1e-3,
        Contrastive = new ContrastiveOptions { Iterations = 2, BatchSize = 8, LearningRate = 1e-3, TrainedLayers = 1 },
    };

    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    private (TrainingResult Result, Dictionary<string, float[]> Weights, List<TrainingProgress> Reports) Train(int endToEndEpochs,
        MultiTaskDataset? validation = null)
    {
        using var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment());
        var reports = new List<TrainingProgress>();
        var options = Options with { Contrastive = Options.Contrastive with { EndToEndEpochs = endToEndEpochs } };
        var result = new MultiTaskTrainer(model, options).Train(TinyData.Dataset(), validation, new SynchronousProgress<TrainingProgress>(reports.Add));
        return (result, model.WeightsOf(), reports);
    }

    [Fact]
    public void The_end_to_end_epochs_follow_the_heads_epochs_and_train_only_the_top_layers_and_the_heads()
    {
        var (headsOnly, headWeights, _) = Train(0);
        var (endToEnd, weights, reports) = Train(2);

        Assert.Equal(Options.Epochs + 2, endToEnd.Epochs.Count);
        Assert.Equal(headsOnly.Epochs.Select(e => e.Loss), endToEnd.Epochs.Take(Options.Epochs).Select(e => e.Loss));  // the same heads' stage, bit for bit
        var moved = weights.Keys.Where(k => !headWeights[k].SequenceEqual(weights[k])).ToList();
        Assert.Contains(moved, k => k.StartsWith("heads.topic.", StringComparison.Ordinal));
        Assert.Contains(moved, k => k.StartsWith("heads.sentiment.", StringComparison.Ordinal));
        Assert.Contains(moved, k => k.StartsWith("backbone.encoder.layer.1.", StringComparison.Ordinal));   // the tiny model's top layer
        Assert.All(moved.Where(k => k.StartsWith("backbone.", StringComparison.Ordinal)),
            k => Assert.StartsWith("backbone.encoder.layer.1.", k, StringComparison.Ordinal));               // the embeddings and layer 0 stay

        var supervised = reports.Where(r => r.Stage == TrainingStage.Supervised && !r.IsEpochEnd).ToList();
        int stepsPerEpoch = (TinyData.Rows.Length + Options.BatchSize - 1) / Options.BatchSize;
        Assert.Equal(Enumerable.Range(1, (Options.Epochs + 2) * stepsPerEpoch), supervised.Select(r => r.Step));
        Assert.All(supervised, r => Assert.Equal((Options.Epochs + 2) * stepsPerEpoch, r.TotalSteps));
    }

    [Fact]
    public void With_validation_the_best_epoch_is_kept_backbone_included()
    {
        var data = TinyData.Dataset();
        using var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment());
        var options = Options with { Epochs = 2, Contrastive = Options.Contrastive with { EndToEndEpochs = 3 } };

        var result = new MultiTaskTrainer(model, options).Train(data, data);

        Assert.Equal(5, result.Epochs.Count);
        var best = result.Epochs.Single(e => e.Epoch == result.BestEpoch).MeanValidationMacroF1!.Value;
        Assert.Equal(result.Epochs.Max(e => e.MeanValidationMacroF1!.Value), best);
        var now = model.Evaluate(data);                                                         // the engine built from the kept weights
        Assert.Equal(best, (now["topic"].MacroAverage.F1Score + now["sentiment"].MacroAverage.F1Score) / 2, 6);
    }

    [Fact]
    public void Supervised_epochs_count_the_end_to_end_epochs_only_for_the_contrastive_strategy()
    {
        var options = Options with { Contrastive = Options.Contrastive with { EndToEndEpochs = 3 } };
        Assert.Equal(Options.Epochs + 3, options.SupervisedEpochs);
        Assert.Equal(Options.Epochs, (options with { Strategy = TrainingStrategy.HeadsOnly }).SupervisedEpochs);
    }

    [Fact]
    public void A_negative_count_is_rejected_with_its_name()
    {
        using var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment());
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new MultiTaskTrainer(model, Options with { Contrastive = Options.Contrastive with { EndToEndEpochs = -1 } }));
        Assert.Equal("EndToEndEpochs", ex.ParamName);
        Assert.Contains("≥ 0", ex.Message, StringComparison.Ordinal);
    }
}
