using SentenceMtl.Training;
using SentenceMtl.Training.Contrastive;
using static TorchSharp.torch;

namespace SentenceMtl.Tests.Training.Contrastive;

/// <summary>
/// With the embeddings and the lower layers frozen, computing their token states once and running only the layers
/// above trains the same backbone as running the whole backbone at every step, and the frozen part does not move.
/// </summary>
[Collection(GlobalRngCollection.Name)]
public sealed class FrozenLayerStatesTests : IDisposable
{
    private static readonly (string Text, int Label)[] Rows =
    [
        ("the team won the game", 0), ("the players lost the match", 0), ("fans loved the game", 0),
        ("the team lost the match !", 0), ("the doctor and the virus", 1), ("the hospital lost the doctor", 1),
        ("fans loved the hospital", 1), ("the hospital hated the virus . the team won", 1),
    ];

    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    private (List<double> Losses, Dictionary<string, float[]> Start, Dictionary<string, float[]> End) Train(int frozenLayers, bool cache)
    {
        using var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment());
        using var trainable = TrainableModel.Create(model, CPU);
        trainable.FreezeLowerLayers(frozenLayers);
        var encoder = trainable.Encoder;
        var start = Weights(encoder);
        var texts = Rows.Select(r => r.Text).ToArray();
        var pairs = ContrastivePairs.Generate([Rows.Select(r => r.Label).ToArray()], iterations: 3, seed: 5);
        var options = new ContrastiveOptions { LearningRate = 3e-3, Epochs = 2, BatchSize = 8 };
        var losses = new List<double>();
        ContrastiveBodyTraining.Run(encoder, texts, pairs, options, seed: 5, (_, _, loss) => losses.Add(loss), CancellationToken.None,
            cacheFrozenLayers: cache);
        return (losses, start, Weights(encoder));
    }

    private static Dictionary<string, float[]> Weights(TorchEncoder encoder) =>
        encoder.Backbone.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.data<float>().ToArray(), StringComparer.Ordinal);

    [Theory]
    [InlineData(0)]   // only the embeddings frozen: their output cached
    [InlineData(1)]   // the embeddings and layer 0 frozen: layer 0's output cached
    public void Cached_frozen_states_train_the_layers_above_as_the_whole_forward_pass_does(int frozenLayers)
    {
        var reference = Train(frozenLayers, cache: false);
        var cached = Train(frozenLayers, cache: true);

        Assert.Equal(reference.Losses.Count, cached.Losses.Count);
        Assert.True(reference.Losses.Count >= 4, $"{reference.Losses.Count} steps");
        for (int i = 0; i < reference.Losses.Count; i++)
        {
            Assert.True(Math.Abs(reference.Losses[i] - cached.Losses[i]) <= 1e-5 * Math.Max(1e-3, Math.Abs(reference.Losses[i])),
                $"step {i + 1}: loss {reference.Losses[i]:R} (whole pass) against {cached.Losses[i]:R} (cached states)");
        }

        string firstTrained = $"encoder.layer.{frozenLayers}.";
        Assert.Contains(cached.Start.Keys, k => k.StartsWith(firstTrained, StringComparison.Ordinal) && !cached.Start[k].SequenceEqual(cached.End[k]));
        foreach (var (name, values) in reference.End)
        {
            bool frozen = name.StartsWith("embeddings.", StringComparison.Ordinal) || name.StartsWith("pooler.", StringComparison.Ordinal)
                || Enumerable.Range(0, frozenLayers).Any(l => name.StartsWith($"encoder.layer.{l}.", StringComparison.Ordinal));
            if (frozen)
            {
                Assert.Equal(cached.Start[name], cached.End[name]);                              // the frozen part does not move
            }

            if (name.EndsWith("attention.self.key.bias", StringComparison.Ordinal))
            {
                continue;   // softmax ignores a constant added to a row's scores, so this gradient is rounding noise, which AdamW scales up to full steps
            }

            for (int i = 0; i < values.Length; i++)
            {
                Assert.True(Math.Abs(values[i] - cached.End[name][i]) <= 1e-4 * Math.Max(1e-2, Math.Abs(values[i])),
                    $"{name}[{i}]: {values[i]:R} (whole pass) against {cached.End[name][i]:R} (cached states)");
            }
        }
    }

    [Fact]
    public void The_lower_and_upper_halves_of_the_backbone_give_its_whole_forward_pass()
    {
        using var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment());
        using var trainable = TrainableModel.Create(model, CPU);
        var encoder = trainable.Encoder;
        var ids = encoder.TokenizeAll([.. Rows.Select(r => r.Text)]);
        using var scope = NewDisposeScope();
        var (inputIds, mask) = encoder.Collate(ids);
        using var guard = no_grad();
        var whole = encoder.Embed(inputIds, mask);
        for (int split = 0; split <= encoder.Backbone.Layers.Count; split++)
        {
            using var states = FrozenLayerStates.Compute(encoder, ids, split, CancellationToken.None);
            var (h, m) = states.Collate([.. Enumerable.Range(0, ids.Length)]);
            var halves = encoder.EmbedFromLayer(h, m, split);
            double difference = (whole - halves).abs().max().item<float>();
            Assert.True(difference < 1e-5, $"split after {split} layers: largest difference {difference}");
        }
    }
}
