using SentenceMtl.Training;
using static TorchSharp.torch;

namespace SentenceMtl.Tests.Training;

using SentenceMtl.Tests.MultiTask;

[Collection(GlobalRngCollection.Name)]
public sealed class MultiTaskTrainerTests : IDisposable
{
    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    private MultiTaskModel NewModel() => MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment());

    private static Dictionary<string, float[]> Weights(MultiTaskModel model) => model.WeightsOf();

    [Fact]
    public void After_a_step_frozen_parameters_are_bitwise_unchanged_and_trainable_ones_changed()
    {
        using var model = NewModel();
        model.FreezeHead("sentiment");
        var before = Weights(model);
        new MultiTaskTrainer(model, new TrainerOptions { Epochs = 1, BatchSize = 15, WarmupRatio = 0 }).Train(TinyData.Dataset());
        var after = Weights(model);
        foreach (var name in before.Keys)
        {
            bool trainable = name.StartsWith("heads.topic.", StringComparison.Ordinal);
            Assert.True(trainable != before[name].SequenceEqual(after[name]), name);
        }

        Assert.True(model.IsHeadFrozen("sentiment"));
    }

    [Fact]
    public void Full_fine_tuning_changes_the_backbone_too()
    {
        using var model = NewModel();
        var before = Weights(model);
        new MultiTaskTrainer(model, new TrainerOptions { Epochs = 1, Strategy = TrainingStrategy.FullFineTuning, BackboneLearningRate = 1e-3 })
            .Train(TinyData.Dataset());
        var after = Weights(model);
        Assert.All(before.Keys.Where(k => k.Contains(".weight", StringComparison.Ordinal) && !k.Contains("token_type", StringComparison.Ordinal) && !k.Contains("pooler", StringComparison.Ordinal)),
            name => Assert.False(before[name].SequenceEqual(after[name]), name));
        Assert.True(model.IsTrained);                                                          // the freezing was the run's own
    }

    [Fact]
    public void After_fine_tuning_the_model_embeds_with_a_new_engine_built_from_the_trained_weights()
    {
        using var model = NewModel();
        var data = TinyData.Dataset();
        var texts = data.Texts.Take(8).ToArray();
        var untrained = model.Encoder.Encode(texts);
        var before = model.Encoder;
        new MultiTaskTrainer(model, new TrainerOptions { Epochs = 3, Strategy = TrainingStrategy.FullFineTuning, BackboneLearningRate = 1e-3 })
            .Train(data, data);                                                                 // best weights restored at the end
        Assert.NotSame(before, model.Encoder);
        Assert.Throws<ObjectDisposedException>(() => before.Encode(texts));                    // the model disposed the encoder it replaced
        var fast = model.Encoder.Encode(texts);                                                 // the core's engine, trained weights
        var reference = model.Encoder.EncodeWithLibtorch(texts);                                // libtorch, the same weights
        Assert.True(fast.Zip(reference).All(p => p.First.Zip(p.Second).All(q => Math.Abs(q.First - q.Second) <= 1e-5)));
        Assert.False(untrained.Zip(reference).All(p => p.First.Zip(p.Second).All(q => Math.Abs(q.First - q.Second) <= 1e-3)));
    }

    [Fact]
    public void The_loss_is_the_weighted_sum_of_per_task_cross_entropies()
    {
        using var model = NewModel();
        var data = TinyData.Dataset();
        var weights = new Dictionary<string, double> { ["topic"] = 2.0, ["sentiment"] = 0.5 };
        var loss = new MultiTaskLoss(model.Tasks, t => weights[t], null);
        using var trainable = TrainableModel.Create(model, CPU);
        using var scope = NewDisposeScope();
        using var embeddings = trainable.Encoder.EncodeToTensor(data.Texts, CancellationToken.None);
        var logits = trainable.ForwardHeads(embeddings);
        int[] batch = Enumerable.Range(0, data.Count).ToArray();
        var labels = model.Tasks.ToDictionary(t => t.Name, t => data.LabelIndices(t.Name));
        var (total, perTask) = loss.Compute(logits, batch, labels);

        double expected = 0;
        foreach (var (task, weight) in new[] { ("topic", 2.0), ("sentiment", 0.5) })
        {
            var p = logits[task].log_softmax(-1).data<float>().ToArray();
            int c = model.Tasks.Single(t => t.Name == task).Labels.Count;
            double ce = -batch.Average(i => p[(i * c) + labels[task][i]]);
            Assert.Equal(ce, perTask[task], 5);
            expected += weight * ce;
        }

        Assert.Equal(expected, total!.item<float>(), 4);
    }

    [Fact]
    public void Examples_without_a_label_are_skipped_by_that_tasks_loss()
    {
        using var model = NewModel();
        var data = MultiTaskDataset.Create([TaskDefinition.Topic, TaskDefinition.Sentiment],
        [
            new MultiTaskExample("the game", new Dictionary<string, string> { ["topic"] = "Sports" }),
            new MultiTaskExample("great app", new Dictionary<string, string> { ["topic"] = "Technology", ["sentiment"] = "Positive" }),
        ]);
        var loss = new MultiTaskLoss(model.Tasks, _ => 1.0, null);
        using var trainable = TrainableModel.Create(model, CPU);
        using var scope = NewDisposeScope();
        using var embeddings = trainable.Encoder.EncodeToTensor(data.Texts, CancellationToken.None);
        var logits = trainable.ForwardHeads(embeddings);
        var labels = model.Tasks.ToDictionary(t => t.Name, t => data.LabelIndices(t.Name));
        var (_, perTask) = loss.Compute(logits, [0, 1], labels);
        var p = logits["sentiment"].log_softmax(-1).data<float>().ToArray();
        Assert.Equal(-p[3 + 2], perTask["sentiment"], 5); // only example 1 (Positive = 2) counts
        var (_, onlyTopic) = loss.Compute(trainable.ForwardHeads(embeddings.narrow(0, 0, 1)), [0], labels);
        Assert.False(onlyTopic.ContainsKey("sentiment"));
    }

    [Fact]
    public void The_epoch_loss_averages_over_the_steps_that_trained()
    {
        using var model = NewModel();
        var none = new Dictionary<string, string>();
        var data = MultiTaskDataset.Create([TaskDefinition.Topic, TaskDefinition.Sentiment],
        [
            new MultiTaskExample("the game", new Dictionary<string, string> { ["topic"] = "Sports" }),
            new MultiTaskExample("a song", none),
            new MultiTaskExample("great app", new Dictionary<string, string> { ["topic"] = "Technology", ["sentiment"] = "Positive" }),
            new MultiTaskExample("the law", none),
        ]);
        var steps = new List<TrainingProgress>();
        var result = new MultiTaskTrainer(model, new TrainerOptions { Epochs = 1, BatchSize = 1 })
            .Train(data, progress: new SynchronousProgress<TrainingProgress>(p =>
            {
                if (!p.IsEpochEnd)
                {
                    steps.Add(p);
                }
            }));
        Assert.Equal(2, steps.Count);                                                          // the unlabelled batches train nothing
        Assert.Equal(steps.Average(p => p.Loss), result.Epochs[0].Loss, 12);
        Assert.Equal(steps.Average(p => p.TaskLosses["topic"]), result.Epochs[0].TaskLosses["topic"], 12);
    }

    [Fact]
    public void A_tiny_set_overfits_to_full_training_accuracy()
    {
        using var model = NewModel();
        var data = TinyData.Dataset();
        new MultiTaskTrainer(model, new TrainerOptions { Epochs = 60, BatchSize = 5, HeadLearningRate = 3e-3 }).Train(data);
        var reports = model.Evaluate(data);
        Assert.Equal(1.0, reports["topic"].Accuracy);
        Assert.Equal(1.0, reports["sentiment"].Accuracy);
    }

    [Fact]
    public void The_same_seed_gives_the_same_weights_and_another_seed_other_weights()
    {
        Dictionary<string, float[]> Run(long seed)
        {
            using var model = NewModel();
            new MultiTaskTrainer(model, new TrainerOptions { Epochs = 3, BatchSize = 4, Seed = seed }).Train(TinyData.Dataset());
            return Weights(model);
        }

        var a = Run(1);
        var b = Run(1);
        var c = Run(2);
        Assert.All(a.Keys, k => Assert.Equal(a[k], b[k]));
        Assert.Contains(a.Keys, k => !a[k].SequenceEqual(c[k]));
    }

    [Fact]
    public void Cached_and_uncached_frozen_training_agree()
    {
        Dictionary<string, float[]> Run(bool cache)
        {
            using var model = NewModel();
            new MultiTaskTrainer(model, new TrainerOptions { Epochs = 4, BatchSize = 4, CacheFrozenEmbeddings = cache })
                .Train(TinyData.Dataset());
            return Weights(model);
        }

        var cached = Run(true);
        var uncached = Run(false);
        Assert.All(cached.Keys, k => Assert.True(cached[k].Zip(uncached[k]).All(p => Math.Abs(p.First - p.Second) < 1e-4), k));
    }

    [Fact]
    public void Cancellation_mid_epoch_stops_between_steps()
    {
        using var model = NewModel();
        using var cts = new CancellationTokenSource();
        int steps = 0;
        var progress = new SynchronousProgress<TrainingProgress>(p =>
        {
            if (++steps == 2)
            {
                cts.Cancel();
            }
        });
        Assert.Throws<OperationCanceledException>(() =>
            new MultiTaskTrainer(model, new TrainerOptions { Epochs = 5, BatchSize = 2 }).Train(TinyData.Dataset(), progress: progress, cancellationToken: cts.Token));
        Assert.Equal(2, steps);
    }

    [Fact]
    public void Progress_reports_every_step_and_each_epoch_with_validation_metrics()
    {
        using var model = NewModel();
        var reports = new List<TrainingProgress>();
        var result = new MultiTaskTrainer(model, new TrainerOptions { Epochs = 2, BatchSize = 5 })
            .Train(TinyData.Dataset(), TinyData.Dataset(), new SynchronousProgress<TrainingProgress>(reports.Add));
        Assert.Equal(2 * (3 + 1), reports.Count);
        Assert.Equal(6, reports[^1].TotalSteps);
        Assert.NotNull(reports[^1].ValidationMacroF1);
        Assert.Equal([4, 8], reports.Select((r, i) => (r, i)).Where(x => x.r.IsEpochEnd).Select(x => x.i + 1));
        Assert.Equal(2, result.Epochs.Count);
        Assert.All(result.Epochs, e => Assert.NotNull(e.MeanValidationMacroF1));
    }

    [Fact]
    public void Early_stopping_keeps_the_best_epochs_weights()
    {
        using var model = NewModel();
        var data = TinyData.Dataset();
        var result = new MultiTaskTrainer(model, new TrainerOptions { Epochs = 40, BatchSize = 5, HeadLearningRate = 3e-3, EarlyStoppingPatience = 3 })
            .Train(data, data);
        var best = result.Epochs.Single(e => e.Epoch == result.BestEpoch).MeanValidationMacroF1!.Value;
        Assert.Equal(result.Epochs.Max(e => e.MeanValidationMacroF1!.Value), best);
        var now = model.Evaluate(data);
        Assert.Equal(best, (now["topic"].MacroAverage.F1Score + now["sentiment"].MacroAverage.F1Score) / 2, 6);
        Assert.True(result.StoppedEarly || result.Epochs.Count == 40);
    }

    [Fact]
    public void Uncertainty_weighting_learns_finite_task_weights()
    {
        using var model = NewModel();
        var result = new MultiTaskTrainer(model, new TrainerOptions { Epochs = 10, UncertaintyWeighting = true, HeadLearningRate = 1e-2 }).Train(TinyData.Dataset());
        Assert.All(result.TaskWeights.Values, w => Assert.True(double.IsFinite(w) && w > 0));
        Assert.Contains(result.TaskWeights.Values, w => Math.Abs(w - 1) > 1e-3);
    }

    [Fact]
    public void Alternating_heads_trains_one_head_per_epoch()
    {
        using var model = NewModel();
        var before = Weights(model);
        new MultiTaskTrainer(model, new TrainerOptions { Epochs = 1, Strategy = TrainingStrategy.AlternatingHeads }).Train(TinyData.Dataset());
        var after = Weights(model);
        Assert.Contains(before.Keys, k => k.StartsWith("heads.topic.", StringComparison.Ordinal) && !before[k].SequenceEqual(after[k]));
        Assert.All(before.Keys.Where(k => !k.StartsWith("heads.topic.", StringComparison.Ordinal)), k => Assert.Equal(before[k], after[k]));
    }

    [Fact]
    public void Gradual_unfreezing_opens_the_top_layer_first()
    {
        using var model = NewModel();
        var before = Weights(model);
        new MultiTaskTrainer(model, new TrainerOptions { Epochs = 2, Strategy = TrainingStrategy.GradualUnfreezing, BackboneLearningRate = 1e-3 })
            .Train(TinyData.Dataset());
        var after = Weights(model);
        Assert.Contains(before.Keys, k => k.StartsWith("backbone.encoder.layer.1.", StringComparison.Ordinal) && !before[k].SequenceEqual(after[k]));
        Assert.All(before.Keys.Where(k => k.StartsWith("backbone.encoder.layer.0.", StringComparison.Ordinal) || k.StartsWith("backbone.embeddings.", StringComparison.Ordinal)),
            k => Assert.Equal(before[k], after[k]));
    }

    [Fact]
    public void Training_with_nothing_trainable_fails_with_a_clear_message()
    {
        using var model = NewModel();
        model.FreezeHead("topic");
        model.FreezeHead("sentiment");
        var ex = Assert.Throws<InvalidOperationException>(() => new MultiTaskTrainer(model).Train(TinyData.Dataset()));
        Assert.Contains("Nothing to train", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_nan_loss_is_reported_not_trained_on()
    {
        using var model = NewModel();
        var ex = Assert.Throws<InvalidOperationException>(() =>
            new MultiTaskTrainer(model, new TrainerOptions { HeadLearningRate = 1e30, MaxGradientNorm = 0, WarmupRatio = 0 }).Train(TinyData.Dataset()));
        Assert.Contains("loss became", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_arguments_are_rejected_at_the_boundary()
    {
        using var model = NewModel();
        Assert.Throws<ArgumentOutOfRangeException>(() => new MultiTaskTrainer(model, new TrainerOptions { Epochs = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MultiTaskTrainer(model, new TrainerOptions { HeadLearningRate = double.NaN }));
        Assert.Throws<ArgumentException>(() => new MultiTaskTrainer(model, new TrainerOptions { TaskWeights = new Dictionary<string, double> { ["nope"] = 1 } }));
        var other = MultiTaskDataset.Create([TaskDefinition.Topic],
            TinyData.Rows.Select(r => new MultiTaskExample(r.Text, new Dictionary<string, string> { ["topic"] = r.Topic })));
        Assert.Throws<ArgumentException>(() => new MultiTaskTrainer(model).Train(other));
        var empty = MultiTaskDataset.Create([TaskDefinition.Topic, TaskDefinition.Sentiment], []);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => new MultiTaskTrainer(model).Train(empty)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_schedule_warms_up_linearly_then_decays_to_zero()
    {
        Assert.Equal(0.5, MultiTaskTrainer.Schedule(0, 1, 11));
        Assert.Equal(1.0, MultiTaskTrainer.Schedule(1, 1, 11));
        Assert.Equal(0.5, MultiTaskTrainer.Schedule(6, 1, 11));
        Assert.Equal(0.1, MultiTaskTrainer.Schedule(10, 1, 11), 10);
    }
}

/// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread (Progress&lt;T&gt; posts asynchronously).</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
