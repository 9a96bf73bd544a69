namespace SentenceMtl.Tests.MultiTask;

/// <summary>A model in the folder format saved before the package split loads in the core and predicts what libtorch predicted (within 1e-6).</summary>
public sealed class SavedModelTests
{
    [Fact]
    public void A_model_saved_by_version_0_1_0_predicts_its_libtorch_probabilities_within_1e_6()
    {
        var expected = SavedModelFixture.Expected();
        using var saved = new TempFolder();
        using var model = MultiTaskModel.Load(SavedModelFixture.Create(saved.Path));

        var texts = expected.Select(e => e.Text).Distinct().ToArray();
        var predictions = model.Predict(texts);

        Assert.Equal(["topic", "mood.fine"], model.Tasks.Select(t => t.Name));
        var actual = predictions.SelectMany(p => p.Tasks.Select(t => (p.Text, t.Task, t.Label, Probabilities: t.Probabilities.ToArray()))).ToList();
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal((expected[i].Text, expected[i].Task, expected[i].Label), (actual[i].Text, actual[i].Task, actual[i].Label));
            Assert.Equal(expected[i].Probabilities, actual[i].Probabilities, (a, b) => Math.Abs(a - b) <= 1e-6f);
        }
    }

    [Fact]
    public void A_loaded_model_saves_and_loads_again_with_the_same_predictions()
    {
        using var folder = new TempFolder();
        using var model = MultiTaskModel.Load(SavedModelFixture.Create(folder.Path));
        string copy = Path.Combine(folder.Path, "copy");

        model.Save(copy);
        using var again = MultiTaskModel.Load(copy);

        var texts = SavedModelFixture.Expected().Select(e => e.Text).Distinct().ToArray();
        var before = model.Predict(texts);
        var after = again.Predict(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(before[i].Tasks.Select(t => t.Probabilities.ToArray()), after[i].Tasks.Select(t => t.Probabilities.ToArray()));
        }
    }

    [Fact]
    public void A_created_model_refuses_to_predict_or_save_until_trained_and_says_how()
    {
        using var tiny = TinyModel.Create();
        using var model = MultiTaskModel.Create(tiny.Model, TinyModel.TopicAndSentiment());

        Assert.False(model.IsTrained);
        var predict = Assert.Throws<InvalidOperationException>(() => model.Predict("the team won"));
        Assert.Contains("MultiTaskTrainer", predict.Message, StringComparison.Ordinal);
        var save = Assert.Throws<InvalidOperationException>(() => model.Save(Path.Combine(tiny.Path, "out")));
        Assert.Contains("not trained", save.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(tiny.Path, "out")));
    }
}
