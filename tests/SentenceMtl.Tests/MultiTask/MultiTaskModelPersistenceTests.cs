namespace SentenceMtl.Tests.MultiTask;

[Collection(GlobalRngCollection.Name)]
public sealed class MultiTaskModelPersistenceTests : IDisposable
{
    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    private string SaveDir => Path.Combine(folder.Path, "saved");

    private MultiTaskModel Trained()
    {
        var model = MultiTaskModel.Create(folder.Model);
        new MultiTaskTrainer(model, new TrainerOptions { Epochs = 3 }).Train(TinyData.Dataset());
        return model;
    }

    [Fact]
    public void Save_then_load_gives_identical_predictions_and_parameters()
    {
        using var model = Trained();
        model.Save(SaveDir);
        using var loaded = MultiTaskModel.Load(SaveDir);
        var texts = TinyData.Rows.Select(r => r.Text).ToArray();
        var a = model.Predict(texts);
        var b = loaded.Predict(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            foreach (var task in model.Tasks)
            {
                Assert.Equal(a[i][task.Name].Probabilities, b[i][task.Name].Probabilities);
            }
        }

        var before = model.AllParametersByName().ToDictionary(p => p.Name, p => p.Parameter.data<float>().ToArray());
        foreach (var (name, parameter) in loaded.AllParametersByName())
        {
            Assert.Equal(before[name], parameter.data<float>().ToArray());
        }

        Assert.Equal(model.Encoder.Pooling, loaded.Encoder.Pooling);
        Assert.Equal(model.Encoder.MaxSequenceLength, loaded.Encoder.MaxSequenceLength);
        Assert.True(loaded.IsBackboneFrozen);
    }

    [Fact]
    public void The_saved_folder_is_a_sentence_transformers_model_for_the_backbone()
    {
        using var model = Trained();
        model.Save(SaveDir);
        foreach (var file in new[] { "config.json", "vocab.txt", "model.safetensors", "tokenizer_config.json", "modules.json",
                     "sentence_bert_config.json", "1_Pooling/config.json", "heads.safetensors", "multitask_config.json" })
        {
            Assert.True(File.Exists(Path.Combine(SaveDir, file)), file);
        }

        using var encoder = SentenceEncoder.FromPretrained(SaveDir);
        var expected = model.Encoder.Encode(["the team won"]);
        Assert.Equal(expected[0], encoder.Encode("the team won"));
        Assert.Equal(File.ReadAllLines(Path.Combine(folder.Model, "vocab.txt")), File.ReadAllLines(Path.Combine(SaveDir, "vocab.txt")));
    }

    [Fact]
    public void Saving_again_replaces_the_folder_and_leaves_no_temporary_files()
    {
        using var model = Trained();
        model.Save(SaveDir);
        model.Save(SaveDir);
        Assert.Equal(["saved", "tiny"], Directory.GetDirectories(folder.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void An_interrupted_swap_leaves_the_previous_save_loadable()
    {
        using var model = Trained();
        model.Save(SaveDir);
        // The crash window of a save: the old folder renamed aside, the new one not yet in place.
        Directory.Move(SaveDir, SaveDir + ".previous");
        using var loaded = MultiTaskModel.Load(SaveDir);
        Assert.Equal(model.Predict("the game")["topic"].Probabilities, loaded.Predict("the game")["topic"].Probabilities);
    }

    [Theory]
    [InlineData("multitask_config.json", "{ not json", "invalid JSON")]
    [InlineData("multitask_config.json", """{"format_version": 9, "tasks": []}""", "format_version")]
    [InlineData("heads.safetensors", "garbage", "heads.safetensors")]
    [InlineData("config.json", """{"hidden_size": 33}""", "divisible")]
    public void A_damaged_folder_fails_with_an_error_naming_the_file(string file, string contents, string expected)
    {
        using var model = Trained();
        model.Save(SaveDir);
        File.WriteAllText(Path.Combine(SaveDir, file), contents);
        var ex = Assert.Throws<ModelFormatException>(() => MultiTaskModel.Load(SaveDir));
        Assert.EndsWith(file, ex.FilePath, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_files_are_named()
    {
        using var model = Trained();
        model.Save(SaveDir);
        File.Delete(Path.Combine(SaveDir, "heads.safetensors"));
        var ex = Assert.Throws<ModelFormatException>(() => MultiTaskModel.Load(SaveDir));
        Assert.EndsWith("heads.safetensors", ex.FilePath, StringComparison.Ordinal);
        Assert.Throws<ModelFormatException>(() => MultiTaskModel.Load(Path.Combine(folder.Path, "nowhere")));
    }
}
