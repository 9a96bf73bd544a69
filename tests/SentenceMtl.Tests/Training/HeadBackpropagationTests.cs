using System.Runtime.Intrinsics;
using SentenceMtl.Tests.MultiTask;
using SentenceMtl.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SentenceMtl.Tests.Training;

[Collection(GlobalRngCollection.Name)]
public sealed class HeadBackpropagationTests : IDisposable
{
    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    /// <summary>Every third example lacks a sentiment label; the first two lack a topic.</summary>
    private static MultiTaskDataset PartlyLabelled() =>
        MultiTaskDataset.Create([TaskDefinition.Topic, TaskDefinition.Sentiment],
            TinyData.Rows.Select((r, i) => new MultiTaskExample(r.Text, new Dictionary<string, string>
            {
                ["topic"] = i < 2 ? "" : r.Topic,
                ["sentiment"] = i % 3 == 0 ? "" : r.Sentiment,
            }.Where(kv => kv.Value.Length > 0).ToDictionary())));

    private MultiTaskModel NewModel(int[] hidden, HeadActivation activation, double dropout) =>
        MultiTaskModel.Create(folder.Model, new MultiTaskModelOptions { HeadHiddenSizes = hidden, Activation = activation, Dropout = dropout });

    private static Dictionary<string, float[]?> Gradients(IEnumerable<(string Name, Parameter Parameter)> parameters) =>
        parameters.ToDictionary(p => p.Name, p => p.Parameter.grad?.data<float>().ToArray());

    public static TheoryData<int[], HeadActivation, bool> Heads => new()
    {
        { [], HeadActivation.Gelu, false },
        { [20], HeadActivation.Gelu, false },
        { [8, 6], HeadActivation.Relu, false },
        { [8, 6], HeadActivation.Tanh, true },
        { [20], HeadActivation.Gelu, true },
    };

    /// <summary>Without dropout the hand-written step and autograd see the same function: same loss, same gradients.</summary>
    [SkippableTheory]
    [MemberData(nameof(Heads))]
    public void Loss_and_gradients_match_autograd(int[] hidden, HeadActivation activation, bool uncertainty)
    {
        Skip.IfNot(Vector512.IsHardwareAccelerated, "the hand-written head steps need AVX-512, which this machine lacks (heads then train with autograd).");
        using var model = NewModel(hidden, activation, dropout: 0);
        var data = PartlyLabelled();
        var labels = model.Tasks.ToDictionary(t => t.Name, t => data.LabelIndices(t.Name));
        using var cache = model.Encoder.EncodeToTensor(data.Texts);
        var trainer = new MultiTaskTrainer(model, new TrainerOptions { TaskWeights = new Dictionary<string, double> { ["topic"] = 1.5 } });
        var logVariances = uncertainty
            ? new Dictionary<string, Parameter> { ["topic"] = new Parameter(tensor(new[] { 0.3f })), ["sentiment"] = new Parameter(tensor(new[] { -0.2f })) }
            : null;
        var parameters = model.NamedTrainableParameters().Concat(logVariances?.Select(kv => (Name: kv.Key, Parameter: kv.Value)) ?? []).ToList();
        int[] batch = [0, 4, 5, 7, 1, 9, 13, 3, 8, 11, 14];                                    // 11 rows: blocks of 4 and a tail
        model.SetTrainingMode(true);

        var step = HeadBackpropagation.TryCreate(model, cache, labels, batchSize: 16, seed: 1)!;
        Assert.NotNull(step);
        var (total, perTask) = step.Forward(batch, t => t == "topic" ? 1.5 : 1.0, logVariances)!.Value;
        step.Backward(logVariances);
        var handwritten = Gradients(parameters);

        using (var scope = NewDisposeScope())
        {
            foreach (var (_, p) in parameters)
            {
                p.grad!.zero_();
            }

            var logits = model.ForwardHeads(cache.index_select(0, tensor(batch.Select(i => (long)i).ToArray())));
            var (expectedTotal, expectedPerTask) = trainer.Loss(logits, batch, labels, logVariances);
            expectedTotal!.backward();
            Assert.Equal(expectedTotal.item<float>(), total, 4);
            Assert.Equal(expectedPerTask.Keys.Order(), perTask.Keys.Order());
            Assert.All(perTask, kv => Assert.Equal(expectedPerTask[kv.Key], kv.Value, 5));
        }

        var autograd = Gradients(parameters);
        Assert.All(parameters, p =>
        {
            var (expected, actual) = (autograd[p.Name]!, handwritten[p.Name]!);
            Assert.True(expected.Zip(actual).All(q => Math.Abs(q.First - q.Second) <= 1e-6 + (1e-4 * Math.Abs(q.First))),
                $"{p.Name}: max |diff| {expected.Zip(actual).Max(q => Math.Abs(q.First - q.Second))}");
            Assert.Contains(actual, v => v != 0);
        });
    }

    /// <summary>
    /// Each hidden value is kept with probability 1 − p and scaled by 1 / (1 − p); the gradients are autograd's through the
    /// same mask.
    /// </summary>
    [SkippableFact]
    public void Dropout_keeps_values_with_probability_1_minus_p_and_back_propagates_through_its_mask()
    {
        Skip.IfNot(Vector512.IsHardwareAccelerated, "the hand-written head steps need AVX-512, which this machine lacks (heads then train with autograd).");
        const double p = 0.25;
        using var model = NewModel([64], HeadActivation.Gelu, p);
        var data = TinyData.Dataset();
        var labels = model.Tasks.ToDictionary(t => t.Name, t => data.LabelIndices(t.Name));
        using var cache = model.Encoder.EncodeToTensor(data.Texts);
        model.SetTrainingMode(true);
        var step = HeadBackpropagation.TryCreate(model, cache, labels, batchSize: 16, seed: 3)!;
        int[] batch = [.. Enumerable.Range(0, data.Count)];
        var topic = model.Head("topic").Linears;
        using var reference = nn.functional.gelu(nn.functional.linear(cache, topic[0].weight!, topic[0].bias)); // (15, 64) before dropout
        var undropped = reference.data<float>().ToArray();

        int dropped = 0, seen = 0;
        for (int i = 0; i < 60; i++)
        {
            step.Forward(batch, _ => 1.0, null);
            var hidden = step.Output("topic", 0);
            for (int j = 0; j < hidden.Length; j++)
            {
                seen++;
                if (hidden[j] == 0)
                {
                    dropped++;
                }
                else
                {
                    Assert.True(Math.Abs(hidden[j] - (undropped[j] / (1 - p))) <= 1e-5 * Math.Max(1, Math.Abs(hidden[j])), $"{hidden[j]} vs {undropped[j]} / (1 − p)");
                }
            }
        }

        Assert.InRange(dropped / (double)seen, p - 0.01, p + 0.01);                            // 57,600 draws: σ ≈ 0.0018

        // The last step's gradients against autograd with the step's own mask.
        var (total, _) = step.Forward(batch, _ => 1.0, null)!.Value;
        step.Backward(null);
        var parameters = model.NamedTrainableParameters().Where(q => q.Name.StartsWith("heads.topic.", StringComparison.Ordinal)).ToList();
        var handwritten = Gradients(parameters);
        using var mask = tensor(step.Output("topic", 0).ToArray().Select(v => v == 0 ? 0f : 1f).ToArray()).reshape(data.Count, 64);
        foreach (var (_, parameter) in parameters)
        {
            parameter.grad!.zero_();
        }

        using (var scope = NewDisposeScope())
        {
            var h = nn.functional.gelu(nn.functional.linear(cache, topic[0].weight!, topic[0].bias)) * mask / (1 - p);
            var logits = nn.functional.linear(h, topic[1].weight!, topic[1].bias);
            var ce = nn.functional.cross_entropy(logits, tensor(labels["topic"].Select(l => (long)l).ToArray()));
            ce.backward();
        }

        var autograd = Gradients(parameters);
        Assert.All(parameters, q => Assert.True(autograd[q.Name]!.Zip(handwritten[q.Name]!).All(v => Math.Abs(v.First - v.Second) <= 1e-6 + (1e-4 * Math.Abs(v.First))), q.Name));
        Assert.True(total > 0);
    }

    [SkippableFact]
    public void Trainer_runs_with_hand_written_steps_train_to_the_weights_of_autograd_runs()
    {
        Skip.IfNot(Vector512.IsHardwareAccelerated, "the hand-written head steps need AVX-512, which this machine lacks (heads then train with autograd).");
        // Dropout 0 (the two draw different masks); partial labels, so some batches have no sentiment label at all;
        // alternating heads, so one head is frozen each epoch; uncertainty weighting, so log-variances train too.
        var data = MultiTaskDataset.Create([TaskDefinition.Topic, TaskDefinition.Sentiment],
            TinyData.Rows.Select((r, i) => new MultiTaskExample(r.Text, i is 4 or 9
                ? new Dictionary<string, string> { ["topic"] = r.Topic, ["sentiment"] = r.Sentiment }
                : new Dictionary<string, string> { ["topic"] = r.Topic })));
        foreach (var options in new[]
        {
            new TrainerOptions { Epochs = 4, BatchSize = 3, UncertaintyWeighting = true },
            new TrainerOptions { Epochs = 4, BatchSize = 4, Strategy = TrainingStrategy.AlternatingHeads, TaskWeights = new Dictionary<string, double> { ["sentiment"] = 3 } },
        })
        {
            (Dictionary<string, float[]> Weights, TrainingResult Result) Run(bool handwritten)
            {
                using var model = NewModel([16], HeadActivation.Gelu, dropout: 0);
                var result = new MultiTaskTrainer(model, options) { HandwrittenHeadSteps = handwritten }.Train(data);
                return (model.AllParametersByName().ToDictionary(q => q.Name, q => q.Parameter.data<float>().ToArray()), result);
            }

            var (fast, fastResult) = Run(true);
            var (reference, referenceResult) = Run(false);
            Assert.All(reference.Keys, k => Assert.True(fast[k].Zip(reference[k]).All(q => Math.Abs(q.First - q.Second) < 1e-4), k));
            Assert.Equal(referenceResult.Epochs.Select(e => e.Loss), fastResult.Epochs.Select(e => e.Loss), (a, b) => Math.Abs(a - b) < 1e-4);
            Assert.Equal(referenceResult.TaskWeights.Values, fastResult.TaskWeights.Values, (a, b) => Math.Abs(a - b) < 1e-4);
            Assert.Contains(reference.Keys, k => k.StartsWith("heads.", StringComparison.Ordinal));
        }
    }

    [SkippableFact]
    public void Non_float32_caches_are_left_to_libtorch()
    {
        Skip.IfNot(Vector512.IsHardwareAccelerated, "the hand-written head steps need AVX-512, which this machine lacks (heads then train with autograd).");
        using var model = NewModel([8], HeadActivation.Gelu, 0.1);
        var data = TinyData.Dataset();
        var labels = model.Tasks.ToDictionary(t => t.Name, t => data.LabelIndices(t.Name));
        using var cache = model.Encoder.EncodeToTensor(data.Texts);
        using var doubles = cache.to(float64);
        Assert.Null(HeadBackpropagation.TryCreate(model, doubles, labels, 16, 0));
        Assert.NotNull(HeadBackpropagation.TryCreate(model, cache, labels, 16, 0));
    }
}
