using SentenceMtl.Training;
using SentenceMtl.Training.Contrastive;
using static TorchSharp.torch;

namespace SentenceMtl.Tests.Training.Contrastive;

/// <summary>
/// Training only the word-embedding rows the sentences use trains the same backbone as training the whole matrix: the
/// same losses and weights, the unused rows decayed as AdamW decays them.
/// </summary>
[Collection(GlobalRngCollection.Name)]
public sealed class CompactVocabularyTests : IDisposable
{
    private const string WordEmbeddings = "embeddings.word_embeddings.weight";

    private static readonly (string Text, int Label)[] Rows =
    [
        ("the team won the game", 0), ("the players lost the match", 0), ("fans loved the game", 0),
        ("the team lost the match !", 0), ("the doctor and the virus", 1), ("the hospital lost the doctor", 1),
        ("fans loved the hospital", 1), ("the hospital hated the virus", 1),
    ];

    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    private (List<double> Losses, Dictionary<string, float[]> Weights, Dictionary<string, float[]> Start, int[][] TokenIds) Train(
        bool compact, double maxGradientNorm)
    {
        using var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment());
        using var trainable = TrainableModel.Create(model, CPU);
        trainable.UnfreezeBackbone();
        var encoder = trainable.Encoder;
        var start = Weights(encoder);
        var texts = Rows.Select(r => r.Text).ToArray();
        var pairs = ContrastivePairs.Generate([Rows.Select(r => r.Label).ToArray()], iterations: 3, seed: 5);
        var options = new ContrastiveOptions { LearningRate = 3e-3, Epochs = 2, BatchSize = 8, WeightDecay = 0.5, MaxGradientNorm = maxGradientNorm };
        var losses = new List<double>();
        ContrastiveBodyTraining.Run(encoder, texts, pairs, options, seed: 5, (_, _, loss) => losses.Add(loss), CancellationToken.None, compact);
        return (losses, Weights(encoder), start, encoder.TokenizeAll(texts));
    }

    private static Dictionary<string, float[]> Weights(TorchEncoder encoder) =>
        encoder.Backbone.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.data<float>().ToArray(), StringComparer.Ordinal);

    [Theory]
    [InlineData(0.0)]   // no clipping: every value bit for bit
    [InlineData(1.0)]   // clipping: its norm sums the same values in another order, so equal within float rounding
    public void Training_the_used_rows_gives_the_losses_and_weights_of_training_the_whole_matrix(double maxGradientNorm)
    {
        var whole = Train(compact: false, maxGradientNorm);
        var used = Train(compact: true, maxGradientNorm);
        double tolerance = maxGradientNorm == 0 ? 0 : 1e-6;

        Assert.Equal(whole.Losses.Count, used.Losses.Count);
        for (int i = 0; i < whole.Losses.Count; i++)
        {
            Assert.True(Math.Abs(whole.Losses[i] - used.Losses[i]) <= tolerance * Math.Abs(whole.Losses[i]),
                $"step {i + 1}: loss {whole.Losses[i]:R} (whole matrix) against {used.Losses[i]:R} (used rows)");
        }

        Assert.Equal(whole.Weights.Keys.Order(), used.Weights.Keys.Order());
        foreach (var name in whole.Weights.Keys.Where(n => n != WordEmbeddings))
        {
            AssertClose(whole.Weights[name], used.Weights[name], tolerance, name);
        }

        int hidden = Hidden(whole.Weights);
        var usedIds = used.TokenIds.SelectMany(t => t).ToHashSet();
        var (a, b, s) = (whole.Weights[WordEmbeddings], used.Weights[WordEmbeddings], whole.Start[WordEmbeddings]);
        int vocabulary = a.Length / hidden, changedUnused = 0;
        for (int id = 0; id < vocabulary; id++)
        {
            var rowA = a.AsSpan(id * hidden, hidden).ToArray();
            var rowB = b.AsSpan(id * hidden, hidden).ToArray();
            // Used rows train; unused rows only decay (AdamW step by step, the compact run as one product): float rounding apart.
            AssertClose(rowA, rowB, usedIds.Contains(id) ? tolerance : 1e-6, $"{WordEmbeddings} row {id}");
            changedUnused += !usedIds.Contains(id) && !rowB.SequenceEqual(s.AsSpan(id * hidden, hidden).ToArray()) ? 1 : 0;
        }

        Assert.True(changedUnused > 0, "weight decay reaches the rows no sentence uses");
    }

    private static int Hidden(Dictionary<string, float[]> weights) => weights["embeddings.LayerNorm.weight"].Length;

    private static void AssertClose(float[] expected, float[] actual, double relative, string name)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double limit = relative * Math.Max(1e-3, Math.Abs(expected[i]));
            Assert.True(Math.Abs(expected[i] - actual[i]) <= limit, $"{name}[{i}]: {expected[i]:R} against {actual[i]:R}");
        }
    }
}
