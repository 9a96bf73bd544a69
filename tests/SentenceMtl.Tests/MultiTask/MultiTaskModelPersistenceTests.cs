namespace SentenceMtl.Tests.MultiTask;

public sealed class MultiTaskModelPersistenceTests : IDisposable
{
    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    private string SaveDir => Path.Combine(folder.Path, "saved");

    private MultiTaskModel Trained() => MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment()).WithRandomHeads();

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

        var heads = loaded.HeadStateDicts()!;
        foreach (var (task, state) in model.HeadStateDicts()!)
        {
            Assert.Equal(state.Keys.Order(), heads[task].Keys.Order());
            Assert.All(state, kv => Assert.Equal(kv.Value.Bytes, heads[task][kv.Key].Bytes));
        }

        var backbone = loaded.Encoder.ReadWeights().ToDictionary(t => t.Name);
        Assert.All(model.Encoder.ReadWeights(), t => Assert.Equal(t.Bytes, backbone[t.Name].Bytes));
        Assert.Equal(model.Encoder.Pooling, loaded.Encoder.Pooling);
        Assert.Equal(model.Encoder.MaxSequenceLength, loaded.Encoder.MaxSequenceLength);
        Assert.True(loaded.IsTrained);
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
        Assert.Throws<ModelNotFoundException>(() => MultiTaskModel.Load(Path.Combine(folder.Path, "nowhere")));
    }

    /// <summary>Task names whose weight keys share a prefix ("a" and "a.b", "topic" and "topic.mlp.0") save and load:
    /// keys are matched exactly, so no task claims another's weights.</summary>
    [Theory]
    [InlineData("a", "a.b")]
    [InlineData("topic", "topic.mlp.0")]
    [InlineData("x.mlp.0", "x")]
    [InlineData("naïve café", "我的任务")]
    public void Task_names_that_share_a_key_prefix_save_and_load(string first, string second)
    {
        var options = new MultiTaskModelOptions
        {
            Tasks = [new TaskDefinition(first, ["p", "q"]), new TaskDefinition(second, ["r", "s", "t"])],
            TaskHeadHiddenSizes = new Dictionary<string, IReadOnlyList<int>> { [second] = [8] },
        };
        using var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment(options)).WithRandomHeads();
        model.Save(SaveDir);
        using var loaded = MultiTaskModel.Load(SaveDir);
        Assert.Equal([first, second], loaded.Tasks.Select(t => t.Name));
        Assert.Equal(model.Predict("the game")[second].Probabilities, loaded.Predict("the game")[second].Probabilities);
        Assert.Equal(model.Predict("the game")[first].Probabilities, loaded.Predict("the game")[first].Probabilities);
    }
}
