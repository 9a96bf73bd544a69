using SentenceMtl.Tests.MultiTask;
using SentenceMtl.Training;
using static TorchSharp.torch;

namespace SentenceMtl.Tests.Training;

/// <summary>A core model read into TorchSharp modules for training: frozen backbone, one forward pass for every head,
/// freezing per part, and evaluation mode for what is frozen.</summary>
[Collection(GlobalRngCollection.Name)]
public sealed class TrainableModelTests : IDisposable
{
    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    private MultiTaskModel NewModel(MultiTaskModelOptions? options = null) => MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment(options));

    [Fact]
    public void A_model_is_read_with_its_backbone_frozen_and_its_heads_trainable()
    {
        using var model = NewModel();
        using var trainable = TrainableModel.Create(model, CPU);
        Assert.True(trainable.IsBackboneFrozen);
        Assert.False(trainable.IsHeadFrozen("topic"));
        // (32·256 + 256) + (256·5 + 5) and (32·256 + 256) + (256·3 + 3)
        Assert.Equal((32 * 256) + 256 + (256 * 5) + 5 + (32 * 256) + 256 + (256 * 3) + 3, trainable.TrainableParameterCount);
    }

    [Fact]
    public void A_head_frozen_on_the_core_model_is_frozen_in_training()
    {
        using var model = NewModel();
        model.FreezeHead("topic");
        using var trainable = TrainableModel.Create(model, CPU);
        Assert.True(trainable.IsHeadFrozen("topic"));
        Assert.False(trainable.IsHeadFrozen("sentiment"));
    }

    [Fact]
    public void Forward_encodes_once_and_feeds_the_same_embedding_to_every_head()
    {
        using var model = NewModel(new MultiTaskModelOptions { HeadHiddenSizes = [] });
        using var trainable = TrainableModel.Create(model, CPU);
        var ids = trainable.Encoder.TokenizeAll(["the team won", "bad virus"]);
        using var scope = NewDisposeScope();
        var (input, mask) = trainable.Encoder.Collate(ids);
        var embeddings = trainable.Encoder.Embed(input, mask);
        var logits = trainable.Forward(input, mask);
        Assert.Equal(new long[] { 2, 5 }, logits["topic"].shape);
        Assert.Equal(new long[] { 2, 3 }, logits["sentiment"].shape);
        var heads = trainable.ForwardHeads(embeddings);
        Assert.True(heads["topic"].allclose(logits["topic"]));
        Assert.True(heads["sentiment"].allclose(logits["sentiment"]));
    }

    [Fact]
    public void Freezing_controls_requires_grad_per_part()
    {
        using var model = NewModel();
        using var trainable = TrainableModel.Create(model, CPU);
        trainable.UnfreezeBackbone();
        Assert.False(trainable.IsBackboneFrozen);
        trainable.FreezeLowerLayers(1);
        var names = trainable.NamedTrainableParameters().Select(p => p.Name).ToList();
        Assert.DoesNotContain(names, n => n.StartsWith("backbone.embeddings.", StringComparison.Ordinal));
        Assert.DoesNotContain(names, n => n.StartsWith("backbone.encoder.layer.0.", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("backbone.encoder.layer.1.", StringComparison.Ordinal));
        trainable.FreezeHead("topic");
        Assert.True(trainable.IsHeadFrozen("topic"));
        Assert.DoesNotContain(trainable.NamedTrainableParameters(), p => p.Name.StartsWith("heads.topic.", StringComparison.Ordinal));
        Assert.Throws<ArgumentOutOfRangeException>(() => trainable.FreezeLowerLayers(3));
    }

    [Fact]
    public void A_frozen_backbone_runs_in_eval_mode_even_while_training()
    {
        using var model = NewModel();
        using var trainable = TrainableModel.Create(model, CPU);
        trainable.SetTrainingMode(true);
        Assert.False(trainable.Encoder.Backbone.training);
        trainable.UnfreezeBackbone();
        trainable.SetTrainingMode(true);
        Assert.True(trainable.Encoder.Backbone.training);
        trainable.FreezeLowerLayers(1);
        trainable.SetTrainingMode(true);
        Assert.False(trainable.Encoder.Backbone.Layers[0].training);
        Assert.True(trainable.Encoder.Backbone.Layers[1].training);
    }

    [Fact]
    public void Trained_heads_give_libtorchs_probabilities_within_1e_6_in_the_core()
    {
        using var model = NewModel();
        new MultiTaskTrainer(model, new TrainerOptions { Epochs = 3 }).Train(TinyData.Dataset());
        var texts = TinyData.Rows.Select(r => r.Text).ToArray();
        using var trainable = TrainableModel.Create(model, CPU);
        using var embeddings = trainable.Encoder.EncodeToTensor(texts, CancellationToken.None);

        var torchProbabilities = trainable.PredictFromEmbeddings(embeddings);
        var values = embeddings.data<float>().ToArray();
        var rows = Enumerable.Range(0, texts.Length).Select(i => values.AsSpan(i * 32, 32).ToArray()).ToArray();
        var managed = model.ProbabilitiesOf(rows);                                                 // the core's heads, same embeddings

        Assert.True(model.IsTrained);
        foreach (var task in model.Tasks)
        {
            for (int i = 0; i < texts.Length; i++)
            {
                Assert.Equal(torchProbabilities[task.Name][i], managed[task.Name][i], (a, b) => Math.Abs(a - b) <= 1e-6f);
            }
        }
    }
}
