using SentenceMtl.Tests.MultiTask;

namespace SentenceMtl.Tests.Training;

/// <summary>
/// <see cref="TrainingStrategy.Contrastive"/> through <see cref="MultiTaskTrainer"/>: the backbone trains on pairs, then
/// the heads on its frozen embeddings; the model is frozen (with an engine) afterwards, saves and loads like any other,
/// reports both stages, and stops cleanly when cancelled mid-stage.
/// </summary>
[Collection(GlobalRngCollection.Name)]
public sealed class ContrastiveStrategyTests : IDisposable
{
    private static readonly TrainerOptions Options = new()
    {
        Strategy = TrainingStrategy.Contrastive,
        Epochs = 5,
        BatchSize = 5,
        Contrastive = new ContrastiveOptions { Iterations = 2, BatchSize = 8, LearningRate = 1e-3 },
    };

    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    private static Dictionary<string, float[]> Weights(MultiTaskModel model) => model.WeightsOf();

    [Fact]
    public void The_backbone_trains_on_pairs_then_the_heads_and_the_model_ends_frozen()
    {
        using var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment());
        var before = Weights(model);
        var reports = new List<TrainingProgress>();

        var result = new MultiTaskTrainer(model, Options).Train(TinyData.Dataset(), progress: new SynchronousProgress<TrainingProgress>(reports.Add));

        var after = Weights(model);
        Assert.Contains(before.Keys, k => k.StartsWith("backbone.encoder.layer.0.", StringComparison.Ordinal) && !before[k].SequenceEqual(after[k]));
        Assert.Contains(before.Keys, k => k.StartsWith("heads.sentiment.", StringComparison.Ordinal) && !before[k].SequenceEqual(after[k]));
        var stage = Assert.IsType<ContrastiveSummary>(result.Contrastive);
        Assert.True(stage.Pairs > 0 && stage.Steps > 0 && stage.PairsPerSecond > 0, stage.ToString());
        Assert.Single(stage.EpochLosses);
        var pairSteps = reports.TakeWhile(r => r.Stage == TrainingStage.Contrastive).ToList();
        Assert.Equal(stage.Steps, pairSteps.Count);
        Assert.Equal(Enumerable.Range(1, stage.Steps), pairSteps.Select(r => r.Step));
        Assert.All(reports.Skip(pairSteps.Count), r => Assert.Equal(TrainingStage.Supervised, r.Stage));
        Assert.Equal(Options.Epochs, result.Epochs.Count);
    }

    [Fact]
    public void A_contrastively_trained_model_saves_and_loads_with_the_same_predictions()
    {
        using var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment());
        new MultiTaskTrainer(model, Options).Train(TinyData.Dataset());
        using var saved = new TempFolder();
        string path = Path.Combine(saved.Path, "model");
        model.Save(path);
        using var loaded = MultiTaskModel.Load(path);
        var texts = TinyData.Rows.Select(r => r.Text).ToArray();
        var expected = model.Predict(texts);
        var actual = loaded.Predict(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            foreach (var task in model.Tasks)
            {
                Assert.Equal(expected[i][task.Name].Probabilities, actual[i][task.Name].Probabilities);
            }
        }
    }

    [Fact]
    public void Cancellation_during_the_pair_stage_stops_it_and_leaves_the_model_frozen_and_usable()
    {
        using var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment());
        var heads = Weights(model).Where(kv => kv.Key.StartsWith("heads.", StringComparison.Ordinal)).ToList();
        using var cts = new CancellationTokenSource();
        int steps = 0;
        var progress = new SynchronousProgress<TrainingProgress>(p =>
        {
            Assert.Equal(TrainingStage.Contrastive, p.Stage);
            if (++steps == 2)
            {
                cts.Cancel();
            }
        });

        Assert.Throws<OperationCanceledException>(() =>
            new MultiTaskTrainer(model, Options).Train(TinyData.Dataset(), progress: progress, cancellationToken: cts.Token));

        Assert.Equal(2, steps);
        var now = Weights(model);
        Assert.All(heads, kv => Assert.Equal(kv.Value, now[kv.Key]));                          // the heads' stage never started
        Assert.Equal(5, model.Predict("the team won")["topic"].Probabilities.Count);
    }

    [Fact]
    public void Data_that_gives_no_pairs_is_rejected_with_a_clear_message()
    {
        using var model = MultiTaskModel.Create(folder.Model, new MultiTaskModelOptions { Tasks = [TaskDefinition.Topic] });
        var data = MultiTaskDataset.Create([TaskDefinition.Topic],
            [new MultiTaskExample("the game", new Dictionary<string, string> { ["topic"] = "Sports" })]);

        var ex = Assert.Throws<ArgumentException>(() => new MultiTaskTrainer(model, Options).Train(data));

        Assert.Contains("no contrastive pairs", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_contrastive_options_are_rejected_when_the_trainer_is_created()
    {
        using var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment());
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new MultiTaskTrainer(model, Options with { Contrastive = new ContrastiveOptions { Iterations = 0 } }));
        Assert.Equal("Iterations", ex.ParamName);
    }

    [Fact]
    public void With_trained_layers_set_only_the_top_layers_of_the_backbone_train()
    {
        using var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment());
        var before = Weights(model);

        new MultiTaskTrainer(model, Options with { Contrastive = Options.Contrastive with { TrainedLayers = 1 } }).Train(TinyData.Dataset());

        var after = Weights(model);
        var backbone = before.Keys.Where(k => k.StartsWith("backbone.", StringComparison.Ordinal)).ToList();
        var moved = backbone.Where(k => !before[k].SequenceEqual(after[k])).ToList();
        Assert.NotEmpty(moved);
        Assert.All(moved, k => Assert.StartsWith("backbone.encoder.layer.1.", k, StringComparison.Ordinal)); // the tiny model's top layer
        Assert.Contains(before.Keys, k => k.StartsWith("heads.topic.", StringComparison.Ordinal) && !before[k].SequenceEqual(after[k]));
    }

    [Fact]
    public void More_trained_layers_than_the_backbone_has_train_all_its_layers_and_not_the_embeddings()
    {
        using var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment());
        var before = Weights(model);

        new MultiTaskTrainer(model, Options with { Contrastive = Options.Contrastive with { TrainedLayers = 3 } }).Train(TinyData.Dataset());

        var after = Weights(model);
        Assert.Contains(before.Keys, k => k.StartsWith("backbone.encoder.layer.0.", StringComparison.Ordinal) && !before[k].SequenceEqual(after[k]));
        Assert.All(before.Keys.Where(k => k.StartsWith("backbone.embeddings.", StringComparison.Ordinal)), k => Assert.Equal(before[k], after[k]));
    }

    /// <summary>Training a backbone never runs in int8: the contrastive stage tunes it through libtorch in float32 whatever
    /// the encoder's quantization (the same weights bit for bit), and afterwards the engine is quantized from them.</summary>
    [SkippableFact]
    public void Contrastive_training_on_an_int8_encoder_gives_the_float32_weights_then_an_int8_engine()
    {
        Skip.IfNot(Int8Cpu.Supported, Int8Cpu.SkipReason);
        MultiTaskModel Train(EncoderQuantization quantization)
        {
            var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment(), encoderOptions: new SentenceEncoderOptions { Quantization = quantization });
            new MultiTaskTrainer(model, Options).Train(TinyData.Dataset());
            return model;
        }

        using var float32 = Train(EncoderQuantization.None);
        using var int8 = Train(EncoderQuantization.Int8);
        var expected = Weights(float32);
        var actual = Weights(int8);

        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        Assert.Contains(expected.Keys, name => name.StartsWith("backbone.encoder.layer.0.", StringComparison.Ordinal));
        Assert.All(expected.Keys, name => Assert.True(expected[name].SequenceEqual(actual[name]), name));
        Assert.Equal(EncoderQuantization.Int8, int8.Encoder.Quantization);
        Assert.StartsWith("inference engine (int8, ", int8.Encoder.InferenceBackend, StringComparison.Ordinal);
        var texts = TinyData.Rows.Select(r => r.Text).ToArray();
        var reference = float32.Encoder.Encode(texts);
        var quantized = int8.Encoder.Encode(texts);
        Assert.False(reference.Zip(quantized).All(p => p.First.SequenceEqual(p.Second)), "the engine after training is not int8");
    }
}
