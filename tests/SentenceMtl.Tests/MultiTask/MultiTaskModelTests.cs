namespace SentenceMtl.Tests.MultiTask;

/// <summary>The core model's tasks, predictions and reports, on the tiny backbone with random heads (no libtorch).</summary>
public sealed class MultiTaskModelTests : IDisposable
{
    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    private MultiTaskModel NewModel(MultiTaskModelOptions? options = null) => MultiTaskModel.Create(folder.Model, options).WithRandomHeads();

    [Fact]
    public void Defaults_are_topic_and_sentiment_with_gelu_mlp_heads()
    {
        using var model = NewModel();
        Assert.Equal(["topic", "sentiment"], model.Tasks.Select(t => t.Name));
        Assert.Equal(["Technology", "Sports", "Politics", "Entertainment", "Health"], model.Tasks[0].Labels);
        Assert.Equal(["Negative", "Neutral", "Positive"], model.Tasks[1].Labels);
        Assert.Equal(HeadActivation.Gelu, model.Options.Activation);
        Assert.Equal([256], model.Options.HeadHiddenSizes);
        Assert.False(model.IsHeadFrozen("topic"));
    }

    [Fact]
    public void Head_freezing_is_a_flag_per_task_that_names_the_tasks_when_one_is_unknown()
    {
        using var model = NewModel();
        model.FreezeHead("topic");
        Assert.True(model.IsHeadFrozen("topic"));
        Assert.False(model.IsHeadFrozen("sentiment"));
        model.UnfreezeHead("topic");
        Assert.False(model.IsHeadFrozen("topic"));
        var ex = Assert.Throws<ArgumentException>(() => model.FreezeHead("nope"));
        Assert.Contains("topic, sentiment", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Predict_in_a_batch_equals_predicting_one_at_a_time()
    {
        using var model = NewModel();
        var texts = TinyData.Rows.Select(r => r.Text).ToArray();
        var batched = model.Predict(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            var single = model.Predict(texts[i]);
            foreach (var task in model.Tasks)
            {
                Assert.Equal(single[task.Name].Label, batched[i][task.Name].Label);
                Assert.True(single[task.Name].Probabilities.Zip(batched[i][task.Name].Probabilities).All(p => Math.Abs(p.First - p.Second) < 1e-5));
            }
        }

        Assert.All(batched, p => Assert.All(p.Tasks, t => Assert.Equal(1.0, t.Probabilities.Sum(), 5)));
    }

    [Fact]
    public void Predicting_token_ids_gives_Predicts_probabilities_and_only_the_batch_size_may_change()
    {
        // The server tokenizes a request once (to count its tokens) and predicts from those ids, a batch at a time.
        using var model = NewModel();
        var texts = TinyData.Rows.Select(r => r.Text).ToArray();
        var ids = texts.Select(t => model.Encoder.TokenizeForEncode(t, EncodeOptions.Default)).ToArray();
        var expected = model.Predict(texts);

        var fromIds = model.PredictTokenized(ids, EncodeOptions.Default with { BatchSize = texts.Length }, CancellationToken.None);

        Assert.Equal(texts.Length, fromIds.Length);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(expected[i].Tasks.Select(t => (t.Task, t.Label)), fromIds[i].Select(t => (t.Task, t.Label)));
            Assert.Equal(expected[i].Tasks.SelectMany(t => t.Probabilities), fromIds[i].SelectMany(t => t.Probabilities));
        }

        Assert.Throws<ArgumentException>(() => model.PredictTokenized(ids, new EncodeOptions { Normalize = false }, CancellationToken.None));
    }

    [Fact]
    public void Any_task_set_and_head_shape_can_be_configured()
    {
        var options = new MultiTaskModelOptions
        {
            Tasks = [new TaskDefinition("spam", ["ham", "spam"]), new TaskDefinition("lang", ["en", "fr", "de", "es"])],
            HeadHiddenSizes = [16, 8],
            TaskHeadHiddenSizes = new Dictionary<string, IReadOnlyList<int>> { ["lang"] = [] },
            Activation = HeadActivation.Tanh,
            Dropout = 0.3,
        };
        using var model = NewModel(options);
        var p = model.Predict("the game");
        Assert.Equal(2, p["spam"].Probabilities.Count);
        Assert.Equal(4, p["lang"].Probabilities.Count);
    }

    [Fact]
    public void Predictions_carry_each_label_name_with_its_probability()
    {
        var options = new MultiTaskModelOptions { Tasks = [new TaskDefinition("lang", ["en", "fr", "de"])] };
        using var model = NewModel(options);
        var p = model.Predict("the game")["lang"];
        Assert.Equal(["en", "fr", "de"], p.Labels);
        Assert.Equal(["en", "fr", "de"], p.LabelProbabilities.Select(kv => kv.Key));
        Assert.Equal(p.Probabilities, p.LabelProbabilities.Select(kv => kv.Value));
        Assert.Equal(p.Probabilities[1], p.ProbabilityOf("fr"));
        Assert.Equal(p.Confidence, p.ProbabilityOf(p.Label));
        var ex = Assert.Throws<KeyNotFoundException>(() => p.ProbabilityOf("es"));
        Assert.Contains("'es'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("en, fr, de", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_options_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => NewModel(new MultiTaskModelOptions { Tasks = [] }));
        Assert.Throws<ArgumentException>(() => NewModel(new MultiTaskModelOptions { Tasks = [TaskDefinition.Topic, TaskDefinition.Topic] }));
        Assert.Throws<ArgumentOutOfRangeException>(() => NewModel(new MultiTaskModelOptions { Dropout = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => NewModel(new MultiTaskModelOptions { HeadHiddenSizes = [0] }));
        Assert.Throws<ArgumentException>(() => new TaskDefinition("x", ["only"]));
        Assert.Throws<ArgumentException>(() => new TaskDefinition("x", ["a", "a"]));
    }

    [Fact]
    public void Evaluate_returns_one_sklearn_report_per_task()
    {
        using var model = NewModel();
        var reports = model.Evaluate(TinyData.Dataset());
        Assert.Equal(["topic", "sentiment"], reports.Keys);
        Assert.Equal(15, reports["topic"].Rows.Sum(r => r.Support));
        Assert.Equal(["Technology", "Sports", "Politics", "Entertainment", "Health"], reports["topic"].Rows.Select(r => r.Name));
    }
}
