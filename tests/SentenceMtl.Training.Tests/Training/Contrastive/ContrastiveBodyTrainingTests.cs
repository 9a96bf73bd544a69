using SentenceMtl.Training;
using SentenceMtl.Training.Contrastive;
using static TorchSharp.torch;

namespace SentenceMtl.Tests.Training.Contrastive;

[Collection(GlobalRngCollection.Name)]
public sealed class ContrastiveBodyTrainingTests : IDisposable
{
    // Two classes whose sentences share their frame ("the … was …") and differ in a few content words.
    private static readonly (string Text, int Label)[] Rows =
    [
        ("the team won the game", 0), ("the players lost the match", 0), ("fans loved the game", 0),
        ("the team lost the match !", 0), ("players won the match", 0), ("the fans hated the game", 0),
        ("the doctor and the virus", 1), ("the hospital lost the doctor", 1), ("fans loved the hospital", 1),
        ("the virus won the health", 1), ("doctor and health", 1), ("the hospital hated the virus", 1),
    ];

    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    private static string[] Texts => Rows.Select(r => r.Text).ToArray();

    /// <summary>The tiny model's encoder with its backbone unfrozen (as the trainer hands it over).</summary>
    private Body NewModel()
    {
        var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment());
        var trainable = TrainableModel.Create(model, CPU);
        trainable.UnfreezeBackbone();
        return new Body(model, trainable);
    }

    /// <summary>A core model and its TorchSharp modules, disposed together.</summary>
    private sealed class Body(MultiTaskModel model, TrainableModel trainable) : IDisposable
    {
        public TorchEncoder Encoder => trainable.Encoder;

        public MultiTaskModel Model => model;

        public TrainableModel Trainable => trainable;

        public void Dispose()
        {
            trainable.Dispose();
            model.Dispose();
        }
    }

    /// <summary>Mean cosine of same-class pairs minus mean cosine of different-class pairs.</summary>
    private static double Separation(float[][] vectors)
    {
        double within = 0, between = 0;
        int w = 0, b = 0;
        for (int i = 0; i < vectors.Length; i++)
        {
            for (int j = i + 1; j < vectors.Length; j++)
            {
                double cos = SentenceEncoder.CosineSimilarity(vectors[i], vectors[j]);
                if (Rows[i].Label == Rows[j].Label)
                {
                    within += cos;
                    w++;
                }
                else
                {
                    between += cos;
                    b++;
                }
            }
        }

        return (within / w) - (between / b);
    }

    /// <summary>Leave-one-out nearest-centroid accuracy (cosine).</summary>
    private static double NearestCentroidAccuracy(float[][] vectors)
    {
        int correct = 0;
        for (int i = 0; i < vectors.Length; i++)
        {
            var centroids = new[] { 0, 1 }.Select(label => Centroid(vectors.Where((_, j) => j != i && Rows[j].Label == label))).ToArray();
            int predicted = SentenceEncoder.CosineSimilarity(vectors[i], centroids[0]) >= SentenceEncoder.CosineSimilarity(vectors[i], centroids[1]) ? 0 : 1;
            correct += predicted == Rows[i].Label ? 1 : 0;
        }

        return correct / (double)vectors.Length;
    }

    private static float[] Centroid(IEnumerable<float[]> vectors)
    {
        var list = vectors.ToList();
        return Enumerable.Range(0, list[0].Length).Select(d => list.Average(v => v[d])).ToArray();
    }

    [Fact]
    public void Contrastive_training_separates_two_classes_the_random_embeddings_confuse()
    {
        using var model = NewModel();
        var encoder = model.Encoder;
        var before = encoder.Encode(Texts);
        var pairs = ContrastivePairs.Generate([Rows.Select(r => r.Label).ToArray()], iterations: 5, seed: 1);
        var options = new ContrastiveOptions { LearningRate = 3e-3, Iterations = 5, Epochs = 4 };
        var steps = new List<(int Step, int Total, double Loss)>();
        var result = ContrastiveBodyTraining.Run(encoder, Texts, pairs, options, seed: 1, (s, t, l) => steps.Add((s, t, l)), CancellationToken.None);
        var after = encoder.Encode(Texts);

        double separationBefore = Separation(before), separationAfter = Separation(after);
        double accuracyBefore = NearestCentroidAccuracy(before), accuracyAfter = NearestCentroidAccuracy(after);
        Assert.True(separationAfter > separationBefore + 0.4,
            $"separation {separationBefore:F3} → {separationAfter:F3}, nearest-centroid accuracy {accuracyBefore:F2} → {accuracyAfter:F2}");
        Assert.True(accuracyBefore < 0.9, $"the random tiny model already separates the classes ({accuracyBefore:F2})");
        Assert.Equal(1.0, accuracyAfter);

        Assert.Equal(4 * pairs.Count, result.Pairs);
        Assert.Equal(4 * ((pairs.Count + 15) / 16), result.Steps);
        Assert.Equal(Enumerable.Range(1, result.Steps), steps.Select(s => s.Step));
        Assert.All(steps, s => Assert.Equal(result.Steps, s.Total));
        Assert.Equal(steps.Take(result.Steps / 4).Average(s => s.Loss), result.EpochLosses[0], 1e-9);
        Assert.True(steps.TakeLast(5).Average(s => s.Loss) < steps.Take(5).Average(s => s.Loss), "the loss falls");
        Assert.True(result.PairsPerSecond > 0 && result.Duration > TimeSpan.Zero);
        Assert.False(encoder.Backbone.training);
    }

    [Fact]
    public void The_same_seed_trains_the_same_weights()
    {
        float[][] Train()
        {
            using var model = NewModel();
            var pairs = ContrastivePairs.Generate([Rows.Select(r => r.Label).ToArray()], iterations: 2, seed: 3);
            ContrastiveBodyTraining.Run(model.Encoder, Texts, pairs, new ContrastiveOptions { LearningRate = 1e-3, Loss = ContrastiveLoss.MultipleNegativesRanking }, 3, null, CancellationToken.None);
            return model.Encoder.Encode(Texts);
        }

        var first = Train();
        var second = Train();
        Assert.Equal(first.SelectMany(v => v), second.SelectMany(v => v));
    }

    [Fact]
    public void MultipleNegativesRanking_trains_on_the_positive_pairs_only()
    {
        using var model = NewModel();
        var pairs = ContrastivePairs.Generate([Rows.Select(r => r.Label).ToArray()], iterations: 3, seed: 2);
        var result = ContrastiveBodyTraining.Run(model.Encoder, Texts, pairs,
            new ContrastiveOptions { LearningRate = 1e-3, Loss = ContrastiveLoss.MultipleNegativesRanking, BatchSize = 8, Epochs = 2 }, 2, null, CancellationToken.None);
        int positives = pairs.Count(p => p.Label == 1f);
        Assert.Equal(2 * positives, result.Pairs);
        Assert.Equal(2 * ((positives + 7) / 8), result.Steps);
        Assert.Equal(2, result.EpochLosses.Count);
        Assert.True(result.EpochLosses[1] < result.EpochLosses[0], $"{result.EpochLosses[0]} → {result.EpochLosses[1]}");
    }

    [Fact]
    public void Cancelling_from_the_second_step_stops_training_with_the_backbone_in_evaluation_mode()
    {
        using var model = NewModel();
        var pairs = ContrastivePairs.Generate([Rows.Select(r => r.Label).ToArray()], iterations: 4, seed: 1);
        using var cancel = new CancellationTokenSource();
        var seen = new List<int>();
        Assert.Throws<OperationCanceledException>(() => ContrastiveBodyTraining.Run(model.Encoder, Texts, pairs,
            new ContrastiveOptions { LearningRate = 1e-3 }, 1, (step, _, _) =>
            {
                seen.Add(step);
                Assert.True(model.Encoder.Backbone.training);
                if (step == 2)
                {
                    cancel.Cancel();
                }
            }, cancel.Token));
        Assert.Equal([1, 2], seen);
        Assert.False(model.Encoder.Backbone.training);
        Assert.Equal(Rows.Length, model.Encoder.Encode(Texts).Length);                          // still usable
    }

    [Fact]
    public void A_frozen_backbone_is_refused_naming_the_fix()
    {
        using var model = NewModel();
        model.Trainable.FreezeBackbone();
        var pairs = ContrastivePairs.Generate([Rows.Select(r => r.Label).ToArray()], iterations: 1, seed: 1);
        var e = Assert.Throws<InvalidOperationException>(() =>
            ContrastiveBodyTraining.Run(model.Encoder, Texts, pairs, new ContrastiveOptions(), 1, null, CancellationToken.None));
        Assert.Contains("TrainingStrategy.Contrastive", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pairs_that_do_not_fit_the_texts_are_refused()
    {
        using var model = NewModel();
        var e = Assert.Throws<ArgumentException>("pairs", () => ContrastiveBodyTraining.Run(model.Encoder, Texts,
            [new ContrastivePair(0, Rows.Length, 1f)], new ContrastiveOptions(), 1, null, CancellationToken.None));
        Assert.Contains("indexes outside the 12 texts", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>("pairs", () => ContrastiveBodyTraining.Run(model.Encoder, Texts,
            [new ContrastivePair(0, 1, float.NaN)], new ContrastiveOptions(), 1, null, CancellationToken.None));
        var none = Assert.Throws<ArgumentException>("pairs", () => ContrastiveBodyTraining.Run(model.Encoder, Texts,
            [new ContrastivePair(0, 7, 0f)], new ContrastiveOptions { Loss = ContrastiveLoss.MultipleNegativesRanking }, 1, null, CancellationToken.None));
        Assert.Contains("No positive pairs", none.Message, StringComparison.Ordinal);
        var many = Assert.Throws<ArgumentException>("options", () => ContrastiveBodyTraining.Run(model.Encoder, Texts,
            [new ContrastivePair(0, 1, 1f), new ContrastivePair(0, 7, 0f)], new ContrastiveOptions { Epochs = int.MaxValue }, 1, null, CancellationToken.None));
        Assert.Contains("lower ContrastiveOptions.Epochs", many.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>("BatchSize", () => ContrastiveBodyTraining.Run(model.Encoder, Texts,
            [new ContrastivePair(0, 1, 1f)], new ContrastiveOptions { BatchSize = 0 }, 1, null, CancellationToken.None));
    }

    [Fact]
    public void A_non_finite_loss_names_the_step_suggests_a_lower_learning_rate_and_restores_the_weights()
    {
        using var model = NewModel();
        var encoder = model.Encoder;
        var pairs = ContrastivePairs.Generate([Rows.Select(r => r.Label).ToArray()], iterations: 2, seed: 1);
        var before = encoder.Backbone.named_parameters().ToDictionary(p => p.name, p => p.parameter.data<float>().ToArray());
        var e = Assert.Throws<InvalidOperationException>(() =>
            ContrastiveBodyTraining.Run(encoder, Texts, pairs, new ContrastiveOptions { LearningRate = 1e-3 }, 1, (step, _, _) =>
            {
                if (step == 1)
                {
                    using var noGrad = no_grad();
                    var embeddings = encoder.Backbone.Embeddings.WordEmbeddings.weight!;        // the rows the stage trains (CompactVocabulary)
                    embeddings.fill_(float.NaN);                                                // step 2 then embeds every sentence to NaN
                }
            }, CancellationToken.None));
        Assert.Contains("step 2", e.Message, StringComparison.Ordinal);
        Assert.Contains("Lower ContrastiveOptions.LearningRate", e.Message, StringComparison.Ordinal);
        Assert.False(encoder.Backbone.training);
        Assert.All(encoder.Backbone.named_parameters(), p => Assert.Equal(before[p.name], p.parameter.data<float>().ToArray()));
    }
}
