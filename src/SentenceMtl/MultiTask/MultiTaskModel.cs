using SentenceMtl.Modeling.Heads;
using TorchSharp;
using static TorchSharp.torch;

namespace SentenceMtl;

/// <summary>
/// One <see cref="SentenceEncoder"/> backbone shared by several classification heads: a batch is encoded once and
/// the same sentence embedding feeds every head. Supports freezing the backbone, any head, everything, or the
/// lowest N encoder layers, and saves as a Hugging Face / sentence-transformers folder plus the heads.
/// </summary>
public sealed partial class MultiTaskModel : IDisposable
{
    private readonly SentenceEncoder encoder;
    private readonly Dictionary<string, ClassificationHead> heads;
    private int disposed;

    private MultiTaskModel(SentenceEncoder encoder, MultiTaskModelOptions options, Dictionary<string, ClassificationHead> heads)
    {
        this.encoder = encoder;
        this.heads = heads;
        Options = options;
        FreezeBackbone();                                                                       // inference state; training sets its own per strategy
        SetTrainingMode(false);
    }

    /// <summary>The shared backbone (with its pooling and normalization).</summary>
    public SentenceEncoder Encoder
    {
        get
        {
            ThrowIfDisposed();
            return encoder;
        }
    }

    /// <summary>The architecture this model was built with.</summary>
    public MultiTaskModelOptions Options
    {
        get
        {
            ThrowIfDisposed();
            return field;
        }
    }

    /// <summary>The tasks, in head order.</summary>
    public IReadOnlyList<TaskDefinition> Tasks => Options.Tasks;

    /// <summary>Creates a model with fresh heads on a pretrained backbone.</summary>
    /// <param name="modelNameOrPath">Anything <see cref="SentenceEncoder.FromPretrained"/> accepts (default all-MiniLM-L6-v2).</param>
    /// <param name="options">Tasks and heads (default: topic and sentiment, frozen backbone).</param>
    /// <param name="encoderOptions">Pooling, normalization, max length and batch size of the backbone.</param>
    public static MultiTaskModel Create(string modelNameOrPath = "all-MiniLM-L6-v2", MultiTaskModelOptions? options = null,
        SentenceEncoderOptions? encoderOptions = null)
    {
        options ??= new MultiTaskModelOptions();
        options.Validate();
        return Create(SentenceEncoder.LoadWithBackbone(modelNameOrPath, encoderOptions), options);
    }

    /// <summary>
    /// <see cref="Create(string, MultiTaskModelOptions?, SentenceEncoderOptions?)"/> with a cancellable load of the backbone
    /// (<see cref="SentenceEncoder.FromPretrainedAsync"/>).
    /// </summary>
    /// <param name="modelNameOrPath">Anything <see cref="SentenceEncoder.FromPretrained"/> accepts.</param>
    /// <param name="options">Tasks and heads (default: topic and sentiment, frozen backbone).</param>
    /// <param name="encoderOptions">Pooling, normalization, max length and batch size of the backbone.</param>
    /// <param name="cancellationToken">Stops the download or the load.</param>
    public static async Task<MultiTaskModel> CreateAsync(string modelNameOrPath, MultiTaskModelOptions? options = null,
        SentenceEncoderOptions? encoderOptions = null, CancellationToken cancellationToken = default)
    {
        options ??= new MultiTaskModelOptions();
        options.Validate();
        ArgumentException.ThrowIfNullOrWhiteSpace(modelNameOrPath);
        var encoder = await Task.Run(() => SentenceEncoder.LoadWithBackbone(modelNameOrPath, encoderOptions, cancellationToken), cancellationToken).ConfigureAwait(false);
        try
        {
            return Create(encoder, options);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>Creates a model with fresh heads on <paramref name="encoder"/>, which the model then owns (and disposes).</summary>
    public static MultiTaskModel Create(SentenceEncoder encoder, MultiTaskModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        options ??= new MultiTaskModelOptions();
        options.Validate();
        var heads = new Dictionary<string, ClassificationHead>(StringComparer.Ordinal);
        using (var rng = new GeneratorScope(options.Seed))
        {
            foreach (var task in options.Tasks)
            {
                heads[task.Name] = NewHead(encoder, options, task);
            }
        }

        return new MultiTaskModel(encoder, options, heads);
    }

    private static ClassificationHead NewHead(SentenceEncoder encoder, MultiTaskModelOptions options, TaskDefinition task)
    {
        var head = new ClassificationHead(encoder.Dimension, options.HiddenSizesFor(task.Name), task.Labels.Count, options.Activation, options.Dropout);
        head.to(encoder.Device);
        return head;
    }

    // ---------------------------------------------------------------- forward and prediction

    /// <summary>Every head's logits for a batch of sentence embeddings.</summary>
    /// <param name="embeddings">(B, H).</param>
    /// <returns>Task name → (B, C_task) logits.</returns>
    internal Dictionary<string, Tensor> ForwardHeads(Tensor embeddings) =>
        Tasks.ToDictionary(t => t.Name, t => heads[t.Name].forward(embeddings), StringComparer.Ordinal);

    /// <summary>Encodes a padded batch once and feeds every head.</summary>
    /// <returns>Task name → (B, C_task) logits.</returns>
    internal Dictionary<string, Tensor> Forward(Tensor inputIds, Tensor attentionMask)
    {
        using var embeddings = encoder.Embed(inputIds, attentionMask);                           // (B, H)
        return ForwardHeads(embeddings);
    }

    /// <summary>Predicts every task for one sentence.</summary>
    public SentencePrediction Predict(string sentence)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(sentence);
        return Predict([sentence])[0];
    }

    /// <summary>Predicts every task for each sentence: batched, eval mode, no gradients.</summary>
    /// <param name="sentences">The texts; none may be null.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    public IReadOnlyList<SentencePrediction> Predict(IReadOnlyList<string> sentences, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var probabilities = PredictProbabilities(sentences, cancellationToken);
        var result = new SentencePrediction[sentences.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = new SentencePrediction(sentences[i], Tasks.Select(task =>
            {
                var p = probabilities[task.Name][i];
                int best = ArgMax(p);
                return new TaskPrediction(task.Name, task.Labels[best], best, p, task.Labels);
            }).ToArray());
        }

        return result;
    }

    /// <summary>Softmax probabilities per task and sentence.</summary>
    internal Dictionary<string, float[][]> PredictProbabilities(IReadOnlyList<string> sentences, CancellationToken cancellationToken = default)
    {
        using var lease = Share();
        using var scope = NewDisposeScope();
        var embeddings = encoder.EncodeToTensor(sentences, cancellationToken);                   // (N, H)
        return PredictFromEmbeddings(embeddings);
    }

    /// <summary>Softmax probabilities per task for precomputed sentence embeddings (N, H).</summary>
    internal Dictionary<string, float[][]> PredictFromEmbeddings(Tensor embeddings)
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

    internal static int ArgMax(IReadOnlyList<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Count; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    // ---------------------------------------------------------------- evaluation

    /// <summary>One scikit-learn-style report per task, over the examples labelled for that task.</summary>
    /// <param name="dataset">Labelled sentences with this model's tasks.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    public IReadOnlyDictionary<string, ClassificationReport> Evaluate(MultiTaskDataset dataset, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(dataset);
        CheckTasks(dataset);
        return Report(dataset, PredictProbabilities(dataset.Texts, cancellationToken));
    }

    internal Dictionary<string, ClassificationReport> Report(MultiTaskDataset dataset, Dictionary<string, float[][]> probabilities)
    {
        var reports = new Dictionary<string, ClassificationReport>(StringComparer.Ordinal);
        foreach (var task in Tasks)
        {
            var gold = dataset.LabelIndices(task.Name);
            var labelled = Enumerable.Range(0, gold.Length).Where(i => gold[i] >= 0).ToArray();
            if (labelled.Length == 0)
            {
                continue;
            }

            reports[task.Name] = ClassificationReport.Create(
                labelled.Select(i => gold[i]).ToArray(),
                labelled.Select(i => ArgMax(probabilities[task.Name][i])).ToArray(),
                labels: Enumerable.Range(0, task.Labels.Count).ToArray(),
                targetNames: task.Labels);
        }

        return reports;
    }

    internal void CheckTasks(MultiTaskDataset dataset)
    {
        if (!dataset.Tasks.SequenceEqual(Tasks))
        {
            throw new ArgumentException(
                $"The dataset's tasks ({Describe(dataset.Tasks)}) differ from the model's ({Describe(Tasks)}).", nameof(dataset));
        }

        static string Describe(IEnumerable<TaskDefinition> tasks) =>
            string.Join("; ", tasks.Select(t => $"{t.Name}: {string.Join("/", t.Labels)}"));
    }

    /// <summary>
    /// Frees the backbone's and the heads' native memory (idempotent). Waits for calls in flight on other threads
    /// (predictions, saves, training) to finish; calls made afterwards throw <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose() => encoder.Lifetime.Exclusively(() =>
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        foreach (var head in heads.Values)
        {
            head.Dispose();
        }

        encoder.Dispose();                                                                      // re-entrant: this thread holds the exclusive lease
    });

    /// <summary>Throws <see cref="ObjectDisposedException"/> naming this type once <see cref="Dispose"/> has run; every public
    /// instance member but <see cref="Dispose"/> starts with it.</summary>
    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);

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
