using SentenceMtl.MultiTask;

namespace SentenceMtl;

/// <summary>
/// One <see cref="SentenceEncoder"/> shared by several classification heads: a batch is encoded once and the same
/// sentence embedding feeds every head. Predicts, evaluates (scikit-learn's report), saves as a Hugging Face /
/// sentence-transformers folder plus the heads, and loads, all in managed code; training is the SentenceMtl.Training
/// package's <c>MultiTaskTrainer</c>, which hands back the trained encoder and heads.
/// </summary>
/// <remarks>
/// A model made by <see cref="Create(string, MultiTaskDataset, MultiTaskModelOptions?, SentenceEncoderOptions?)"/> (tasks
/// and labels from the data) or <see cref="Create(string, MultiTaskModelOptions?, SentenceEncoderOptions?)"/> (tasks
/// given) has heads that are not trained yet: <see cref="Predict(string)"/> and <see cref="Save"/> say so until a trainer has trained them. A loaded
/// model predicts at once. Calls from several threads are safe; training waits for calls in flight and they wait for it.
/// </remarks>
public sealed partial class MultiTaskModel : IDisposable
{
    private readonly EncoderLifetime lifetime = new(typeof(MultiTaskModel).FullName!);
    private readonly HashSet<string> frozenHeads = new(StringComparer.Ordinal);
    private SentenceEncoder encoder;
    private Dictionary<string, MlpHead>? heads;

    private MultiTaskModel(SentenceEncoder encoder, MultiTaskModelOptions options, Dictionary<string, MlpHead>? heads)
    {
        this.encoder = encoder;
        this.heads = heads;
        Options = options;
    }

    /// <summary>The shared encoder (with its pooling and normalization); training replaces it with the trained one.</summary>
    public SentenceEncoder Encoder
    {
        get
        {
            ThrowIfDisposed();
            return Volatile.Read(ref encoder);
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

    /// <summary>Whether the heads have been trained (or loaded), so that the model can predict and be saved.</summary>
    public bool IsTrained
    {
        get
        {
            ThrowIfDisposed();
            return Volatile.Read(ref heads) is not null;
        }
    }

    /// <summary>Predicts every task for one sentence.</summary>
    /// <exception cref="InvalidOperationException">The heads are not trained yet.</exception>
    public SentencePrediction Predict(string sentence)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(sentence);
        return Predict([sentence])[0];
    }

    /// <summary>Predicts every task for each sentence: the sentences are encoded once, in batches, and every head reads
    /// the same embeddings.</summary>
    /// <param name="sentences">The texts; none may be null.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <exception cref="InvalidOperationException">The heads are not trained yet.</exception>
    public IReadOnlyList<SentencePrediction> Predict(IReadOnlyList<string> sentences, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(sentences);
        var tasks = Predictions(PredictProbabilities(sentences, cancellationToken), sentences.Count);
        var result = new SentencePrediction[sentences.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = new SentencePrediction(sentences[i], tasks[i]);
        }

        return result;
    }

    /// <summary>Every task's prediction for token ids that <see cref="Encoder"/>'s <c>TokenizeForEncode</c> gave with
    /// <see cref="EncodeOptions.Default"/>: what <see cref="Predict(IReadOnlyList{string}, CancellationToken)"/> predicts
    /// for the texts, without tokenizing them again (the server has counted their tokens). <paramref name="options"/>
    /// may set the batch size only: the embeddings the heads read must be Predict's. <paramref name="passes"/> is as for
    /// <see cref="SentenceEncoder.EncodeTokenized"/>.</summary>
    internal TaskPrediction[][] PredictTokenized(IReadOnlyList<int[]> ids, EncodeOptions options, CancellationToken cancellationToken, int? passes = null)
    {
        ThrowIfDisposed();
        if (options with { BatchSize = null } != EncodeOptions.Default)
        {
            throw new ArgumentException("Only the batch size may differ from EncodeOptions.Default.", nameof(options));
        }

        using var lease = Share();
        TrainedHeads("predict");
        return Predictions(ProbabilitiesOf(encoder.EncodeTokenized(ids, options, cancellationToken, passes)), ids.Count);
    }

    /// <summary>Per sentence, every task's label (the most probable), its index and the probabilities.</summary>
    private TaskPrediction[][] Predictions(Dictionary<string, float[][]> probabilities, int count)
    {
        var result = new TaskPrediction[count][];
        for (int i = 0; i < count; i++)
        {
            result[i] = Tasks.Select(task =>
            {
                var p = probabilities[task.Name][i];
                int best = ArgMax(p);
                return new TaskPrediction(task.Name, task.Labels[best], best, p, task.Labels);
            }).ToArray();
        }

        return result;
    }

    /// <summary>Softmax probabilities per task and sentence.</summary>
    internal Dictionary<string, float[][]> PredictProbabilities(IReadOnlyList<string> sentences, CancellationToken cancellationToken = default)
    {
        using var lease = Share();
        TrainedHeads("predict");
        return ProbabilitiesOf(encoder.Encode(sentences, cancellationToken));                    // (N, H), once for every head
    }

    /// <summary>Softmax probabilities per task of precomputed sentence embeddings, from the trained heads.</summary>
    internal Dictionary<string, float[][]> ProbabilitiesOf(float[][] embeddings)
    {
        var trained = TrainedHeads("predict");
        return Tasks.ToDictionary(t => t.Name, t => Array.ConvertAll(embeddings, e => trained[t.Name].Probabilities(e)), StringComparer.Ordinal);
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

    /// <summary>One scikit-learn-style report per task, over the examples labelled for that task.</summary>
    /// <param name="dataset">Labelled sentences with this model's tasks.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <returns>The reports by task name; looking up a task without a report throws a <see cref="KeyNotFoundException"/>
    /// that lists the tasks with one.</returns>
    /// <exception cref="InvalidOperationException">The heads are not trained yet.</exception>
    public IReadOnlyDictionary<string, ClassificationReport> Evaluate(MultiTaskDataset dataset, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(dataset);
        CheckTasks(dataset);
        return new TaskKeyedDictionary<ClassificationReport>(Report(dataset, PredictProbabilities(dataset.Texts, cancellationToken)),
            " A task gets a report only when the dataset has labels for it.");
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
                $"The dataset's tasks ({DescribeTasks(dataset.Tasks)}) differ from the model's ({DescribeTasks(Tasks)}). " +
                "Read the file with the model's tasks, MultiTaskDataset.Load(path, model.Tasks), so that its labels get the model's class indices.",
                nameof(dataset));
        }
    }

    /// <summary>
    /// Stops the encoder's threads (idempotent). Waits for calls in flight on other threads (predictions, saves,
    /// training) to finish; calls made afterwards throw <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose() => lifetime.EndOnce(() => encoder.Dispose());

    /// <summary>Throws <see cref="ObjectDisposedException"/> naming this type once <see cref="Dispose"/> has run; every public
    /// instance member but <see cref="Dispose"/> starts with it.</summary>
    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(lifetime.IsDisposed, this);
}
