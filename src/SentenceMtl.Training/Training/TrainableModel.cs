using SentenceMtl.Checkpoints;
using SentenceMtl.Modeling.Heads;
using SentenceMtl.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace SentenceMtl.Training;

/// <summary>
/// A core <see cref="MultiTaskModel"/> as TorchSharp modules for one training run: its encoder's backbone
/// (<see cref="TorchEncoder"/>) and one <see cref="ClassificationHead"/> per task, read from the model's weights (fresh
/// heads, seeded by <see cref="MultiTaskModelOptions.Seed"/>, where it has none yet), with the freezing a strategy
/// switches. <see cref="HandBack"/> gives the trained weights to the core model, which builds a new session from them.
/// </summary>
internal sealed partial class TrainableModel : IDisposable
{
    private readonly Dictionary<string, ClassificationHead> heads;

    private TrainableModel(MultiTaskModel model, TorchEncoder encoder, Dictionary<string, ClassificationHead> heads)
    {
        Model = model;
        Encoder = encoder;
        this.heads = heads;
    }

    /// <summary>The core model being trained.</summary>
    public MultiTaskModel Model { get; }

    /// <summary>The backbone with the encoder's tokenizer, pooling and normalization.</summary>
    public TorchEncoder Encoder { get; }

    /// <summary>The tasks, in head order.</summary>
    public IReadOnlyList<TaskDefinition> Tasks => Model.Tasks;

    /// <summary>Reads <paramref name="model"/> into TorchSharp modules on <paramref name="device"/>; the backbone frozen.</summary>
    /// <exception cref="PlatformNotSupportedException">libtorch does not exist for this platform.</exception>
    public static TrainableModel Create(MultiTaskModel model, Device device)
    {
        var encoder = TorchEncoder.Create(model.Encoder, device);
        return TorchEncoder.OnOwnThread(() => WithHeads(model, encoder, device));                // outside the caller's dispose scope
    }

    private static TrainableModel WithHeads(MultiTaskModel model, TorchEncoder encoder, Device device)
    {
        var heads = new Dictionary<string, ClassificationHead>(StringComparer.Ordinal);
        try
        {
            var saved = model.HeadStateDicts();
            using (var rng = new GeneratorScope(model.Options.Seed))
            {
                foreach (var task in model.Tasks)
                {
                    var head = new ClassificationHead(encoder.Dimension, model.Options.HiddenSizesFor(task.Name), task.Labels.Count,
                        model.Options.Activation, model.Options.Dropout);
                    heads[task.Name] = head;
                    if (saved is not null)
                    {
                        var tensors = saved[task.Name].ToDictionary(kv => kv.Key, kv => TensorConversion.ToTorch(kv.Value), StringComparer.Ordinal);
                        try
                        {
                            StateDictLoader.Load(head, tensors, "the model's heads");
                        }
                        finally
                        {
                            foreach (var t in tensors.Values)
                            {
                                t.Dispose();
                            }
                        }
                    }

                    head.to(device);
                }
            }

            var result = new TrainableModel(model, encoder, heads);
            result.FreezeBackbone();
            foreach (var task in model.Tasks)
            {
                SetRequiresGrad(heads[task.Name].parameters(), !model.IsHeadFrozen(task.Name));
            }

            result.SetTrainingMode(false);
            return result;
        }
        catch
        {
            foreach (var head in heads.Values)
            {
                head.Dispose();
            }

            encoder.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Gives the trained weights to the core model: every head's, and, when <paramref name="backboneTrained"/>, a new
    /// encoder built from the backbone's (the core's session is rebuilt from them, quantized as before). The caller holds
    /// the model's exclusive lease.
    /// </summary>
    public void HandBack(bool backboneTrained)
    {
        var trainedHeads = Tasks.ToDictionary(t => t.Name, t => (IReadOnlyDictionary<string, TensorData>)heads[t.Name].state_dict()
            .ToDictionary(kv => kv.Key, kv => TensorConversion.ToData(kv.Key, kv.Value), StringComparer.Ordinal), StringComparer.Ordinal);
        var encoder = backboneTrained ? Model.Encoder.WithWeights(Encoder.ReadWeights()) : null;
        try
        {
            Model.TakeTrained(trainedHeads, encoder);
        }
        catch
        {
            encoder?.Dispose();
            throw;
        }
    }

    /// <summary>Every head's logits for a batch of sentence embeddings.</summary>
    /// <param name="embeddings">(B, H).</param>
    /// <returns>Task name → (B, C_task) logits.</returns>
    public Dictionary<string, Tensor> ForwardHeads(Tensor embeddings) =>
        Tasks.ToDictionary(t => t.Name, t => heads[t.Name].forward(embeddings), StringComparer.Ordinal);

    /// <summary>Encodes a padded batch once and feeds every head.</summary>
    /// <returns>Task name → (B, C_task) logits.</returns>
    public Dictionary<string, Tensor> Forward(Tensor inputIds, Tensor attentionMask)
    {
        using var embeddings = Encoder.Embed(inputIds, attentionMask);                           // (B, H)
        return ForwardHeads(embeddings);
    }

    /// <summary>Softmax probabilities per task for precomputed sentence embeddings (N, H), heads in evaluation mode.</summary>
    public Dictionary<string, float[][]> PredictFromEmbeddings(Tensor embeddings)
    {
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var wasTraining = heads.Values.Select(h => h.training).ToArray();
        foreach (var head in heads.Values)
        {
            head.eval();
        }

        try
        {
            var result = new Dictionary<string, float[][]>(StringComparer.Ordinal);
            int n = (int)embeddings.shape[0];
            foreach (var task in Tasks)
            {
                int c = task.Labels.Count;
                var flat = n == 0 ? [] : heads[task.Name].forward(embeddings).softmax(-1).to(CPU).data<float>().ToArray();
                result[task.Name] = Enumerable.Range(0, n).Select(i => flat.AsSpan(i * c, c).ToArray()).ToArray();
            }

            return result;
        }
        finally
        {
            foreach (var (head, training) in heads.Values.Zip(wasTraining))
            {
                head.train(training);
            }
        }
    }

    /// <summary>Frees the modules' native memory (the core model keeps what was handed back).</summary>
    public void Dispose()
    {
        foreach (var head in heads.Values)
        {
            head.Dispose();
        }

        Encoder.Dispose();
    }

    /// <summary>Seeds torch's global generator for a block and restores the previous state afterwards.</summary>
    internal sealed class GeneratorScope : IDisposable
    {
        private readonly Tensor state;

        public GeneratorScope(long seed)
        {
            state = torch.random.get_rng_state();
            torch.random.manual_seed(seed);
        }

        public void Dispose()
        {
            torch.random.set_rng_state(state);
            state.Dispose();
        }
    }
}
