using static TorchSharp.torch;

namespace SentenceMtl.Tests.MultiTask;

[Collection(GlobalRngCollection.Name)]
public sealed class MultiTaskModelTests : IDisposable
{
    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    private MultiTaskModel NewModel(MultiTaskModelOptions? options = null) => MultiTaskModel.Create(folder.Model, options);

    [Fact]
    public void Defaults_are_topic_and_sentiment_with_gelu_mlp_heads_on_a_frozen_backbone()
    {
        using var model = NewModel();
        Assert.Equal(["topic", "sentiment"], model.Tasks.Select(t => t.Name));
        Assert.Equal(["Technology", "Sports", "Politics", "Entertainment", "Health"], model.Tasks[0].Labels);
        Assert.Equal(["Negative", "Neutral", "Positive"], model.Tasks[1].Labels);
        Assert.True(model.IsBackboneFrozen);
        Assert.False(model.IsHeadFrozen("topic"));
        // (32·256 + 256) + (256·5 + 5) and (32·256 + 256) + (256·3 + 3)
        Assert.Equal((32 * 256) + 256 + (256 * 5) + 5 + (32 * 256) + 256 + (256 * 3) + 3, model.TrainableParameterCount);
    }

    [Fact]
    public void Forward_encodes_once_and_feeds_the_same_embedding_to_every_head()
    {
        using var model = NewModel(new MultiTaskModelOptions { HeadHiddenSizes = [] });
        var ids = model.Encoder.TokenizeAll(["the team won", "bad virus"]);
        using var scope = NewDisposeScope();
        var (input, mask) = model.Encoder.Collate(ids);
        var embeddings = model.Encoder.Embed(input, mask);
        var logits = model.Forward(input, mask);
        Assert.Equal(new long[] { 2, 5 }, logits["topic"].shape);
        Assert.Equal(new long[] { 2, 3 }, logits["sentiment"].shape);
        var heads = model.ForwardHeads(embeddings);
        Assert.True(heads["topic"].allclose(logits["topic"]));
        Assert.True(heads["sentiment"].allclose(logits["sentiment"]));
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
        Assert.Equal((32 * 16) + 16 + (16 * 8) + 8 + (8 * 2) + 2 + (32 * 4) + 4, model.TrainableParameterCount);
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
    public void Freezing_controls_requires_grad_per_part()
    {
        using var model = NewModel();
        Assert.True(model.IsBackboneFrozen);                                                   // created frozen, for inference
        model.UnfreezeBackbone();
        Assert.False(model.IsBackboneFrozen);
        model.FreezeLowerLayers(1);
        var names = model.NamedTrainableParameters().Select(p => p.Name).ToList();
        Assert.DoesNotContain(names, n => n.StartsWith("backbone.embeddings.", StringComparison.Ordinal));
        Assert.DoesNotContain(names, n => n.StartsWith("backbone.encoder.layer.0.", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("backbone.encoder.layer.1.", StringComparison.Ordinal));
        model.FreezeHead("topic");
        Assert.True(model.IsHeadFrozen("topic"));
        Assert.DoesNotContain(model.NamedTrainableParameters(), p => p.Name.StartsWith("heads.topic.", StringComparison.Ordinal));
        model.FreezeAll();
        Assert.Equal(0, model.TrainableParameterCount);
        model.UnfreezeAll();
        Assert.Equal(model.AllParametersByName().Sum(p => p.Parameter.numel()), model.TrainableParameterCount);
        Assert.Throws<ArgumentException>(() => model.FreezeHead("nope"));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.FreezeLowerLayers(3));
    }

    [Fact]
    public void A_frozen_backbone_runs_in_eval_mode_even_while_training()
    {
        using var model = NewModel();
        model.SetTrainingMode(true);
        Assert.False(model.Encoder.Backbone.training);
        model.UnfreezeBackbone();
        model.SetTrainingMode(true);
        Assert.True(model.Encoder.Backbone.training);
        model.FreezeLowerLayers(1);
        model.SetTrainingMode(true);
        Assert.False(model.Encoder.Backbone.Layers[0].training);
        Assert.True(model.Encoder.Backbone.Layers[1].training);
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
