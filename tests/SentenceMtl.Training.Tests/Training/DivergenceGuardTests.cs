using SentenceMtl.Tests.MultiTask;

namespace SentenceMtl.Tests.Training;

/// <summary>A diverging run throws and puts the weights back; a model with a NaN weight is not saved.</summary>
[Collection(GlobalRngCollection.Name)]
public sealed class DivergenceGuardTests : IDisposable
{
    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    private static Dictionary<string, float[]> Weights(MultiTaskModel model) => model.WeightsOf();

    private static float[] Probabilities(MultiTaskModel model) =>
        model.Predict(TinyData.Rows.Select(r => r.Text).ToArray()).SelectMany(p => p.Tasks.SelectMany(t => t.Probabilities)).ToArray();

    [Fact]
    public void Heads_only_training_with_a_huge_rate_throws_and_keeps_the_predictions()
    {
        using var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment());
        new MultiTaskTrainer(model, new TrainerOptions { Epochs = 1 }).Train(TinyData.Dataset());
        var before = Probabilities(model);
        var ex = Assert.Throws<InvalidOperationException>(() =>
            new MultiTaskTrainer(model, new TrainerOptions { Epochs = 3, BatchSize = 5, HeadLearningRate = 1e10 }).Train(TinyData.Dataset()));
        Assert.Contains("diverged", ex.Message, StringComparison.Ordinal);
        Assert.Contains("epoch 1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Lower the learning rates", ex.Message, StringComparison.Ordinal);
        var after = Probabilities(model);
        Assert.All(after, p => Assert.True(float.IsFinite(p)));
        Assert.Equal(before, after);
    }

    [Fact]
    public void Full_fine_tuning_with_a_huge_rate_throws_and_leaves_every_weight_as_it_was()
    {
        using var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment());
        var before = Weights(model);
        var ex = Assert.Throws<InvalidOperationException>(() => new MultiTaskTrainer(model, new TrainerOptions
        {
            Epochs = 1, BatchSize = 5, Strategy = TrainingStrategy.FullFineTuning, HeadLearningRate = 1e10, BackboneLearningRate = 1e10,
        }).Train(TinyData.Dataset()));
        Assert.Contains("diverged", ex.Message, StringComparison.Ordinal);
        var after = Weights(model);
        foreach (var (name, values) in before)
        {
            Assert.True(values.SequenceEqual(after[name]), name);
        }

        Assert.All(model.Encoder.Encode(["the team won"])[0], v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void A_run_that_stays_finite_is_not_stopped()
    {
        using var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment());
        var result = new MultiTaskTrainer(model, new TrainerOptions { Epochs = 2, HeadLearningRate = 1e-2 }).Train(TinyData.Dataset());
        Assert.Equal(2, result.Epochs.Count);
    }

    [Fact]
    public void Non_finite_trained_head_weights_are_refused_and_the_model_keeps_its_heads()
    {
        using var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment()).WithRandomHeads();
        var before = Probabilities(model);
        var heads = model.HeadStateDicts()!.ToDictionary(kv => kv.Key, kv => kv.Value.ToDictionary(t => t.Key, t => t.Value));
        var weight = heads["topic"]["mlp.0.weight"];
        var values = weight.ToFloats();
        values[0] = float.NaN;
        heads["topic"]["mlp.0.weight"] = SentenceMtl.Serialization.TensorData.FromFloats(weight.Name, weight.Shape, values);

        using (model.Exclusive())
        {
            var ex = Assert.Throws<ModelFormatException>(() => model.TakeTrained(
                heads.ToDictionary(kv => kv.Key, kv => (IReadOnlyDictionary<string, SentenceMtl.Serialization.TensorData>)kv.Value), null));
            Assert.Contains("topic.mlp.0.weight", ex.Message, StringComparison.Ordinal);
        }

        Assert.Equal(before, Probabilities(model));
    }

    [Fact]
    public void An_encoder_is_never_built_from_infinite_weights()
    {
        using var encoder = SentenceEncoder.FromPretrained(folder.Model);
        var weights = encoder.ReadWeights().ToList();
        var last = weights[^1];
        var values = last.ToFloats();
        Array.Fill(values, float.PositiveInfinity);
        weights[^1] = SentenceMtl.Serialization.TensorData.FromFloats(last.Name, last.Shape, values);

        var ex = Assert.Throws<ModelFormatException>(() => encoder.WithWeights(weights));
        Assert.Contains(last.Name, ex.Message, StringComparison.Ordinal);
    }
}
