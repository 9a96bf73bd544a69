using SentenceMtl.Tests.MultiTask;
using static TorchSharp.torch;

namespace SentenceMtl.Tests.Training;

/// <summary>A diverging run throws and puts the weights back; a model with a NaN weight is not saved.</summary>
[Collection(GlobalRngCollection.Name)]
public sealed class DivergenceGuardTests : IDisposable
{
    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    private static Dictionary<string, float[]> Weights(MultiTaskModel model) =>
        model.AllParametersByName().ToDictionary(p => p.Name, p => p.Parameter.data<float>().ToArray());

    private static float[] Probabilities(MultiTaskModel model) =>
        model.Predict(TinyData.Rows.Select(r => r.Text).ToArray()).SelectMany(p => p.Tasks.SelectMany(t => t.Probabilities)).ToArray();

    [Fact]
    public void Heads_only_training_with_a_huge_rate_throws_and_keeps_the_predictions()
    {
        using var model = MultiTaskModel.Create(folder.Model);
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
        using var model = MultiTaskModel.Create(folder.Model);
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
        using var model = MultiTaskModel.Create(folder.Model);
        var result = new MultiTaskTrainer(model, new TrainerOptions { Epochs = 2, HeadLearningRate = 1e-2 }).Train(TinyData.Dataset());
        Assert.Equal(2, result.Epochs.Count);
    }

    [Fact]
    public void Save_refuses_a_nan_weight_and_writes_nothing()
    {
        using var model = MultiTaskModel.Create(folder.Model);
        var (name, parameter) = model.AllParametersByName().First(p => p.Name.StartsWith("heads.topic.", StringComparison.Ordinal));
        using (no_grad())
        {
            parameter[0].fill_(float.NaN);
        }

        string saveDir = Path.Combine(folder.Path, "saved");
        var ex = Assert.Throws<InvalidOperationException>(() => model.Save(saveDir));
        Assert.Contains(name, ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(saveDir));
        Assert.False(File.Exists(saveDir + ".lock"));
    }

    [Fact]
    public void Encoder_save_refuses_an_infinite_weight()
    {
        using var encoder = SentenceEncoder.FromPretrained(folder.Model);
        var (name, parameter) = encoder.Backbone.named_parameters().Last();
        using (no_grad())
        {
            parameter.fill_(float.PositiveInfinity);
        }

        var ex = Assert.Throws<InvalidOperationException>(() => encoder.Save(Path.Combine(folder.Path, "saved")));
        Assert.Contains(name, ex.Message, StringComparison.Ordinal);
    }
}
