namespace SentenceMtl;

// Creating a model with untrained heads: tasks from a dataset, or from the options.
public sealed partial class MultiTaskModel
{
    /// <summary>
    /// Creates a model with untrained heads for the tasks and labels of <paramref name="dataset"/>, on a pretrained
    /// encoder, for a trainer to train: <c>MultiTaskModel.Create("all-MiniLM-L6-v2", MultiTaskDataset.Load("train.csv"))</c>.
    /// </summary>
    /// <param name="modelNameOrPath">Anything <see cref="SentenceEncoder.FromPretrained"/> accepts.</param>
    /// <param name="dataset">The data whose <see cref="MultiTaskDataset.Tasks"/> become the model's tasks, in that order
    /// (typically the training set, read by <see cref="MultiTaskDataset.Load(string, DatasetReaderOptions?)"/>).</param>
    /// <param name="options">Heads (sizes, activation, dropout, seed); its <see cref="MultiTaskModelOptions.Tasks"/> must
    /// be empty (the default) or the dataset's.</param>
    /// <param name="encoderOptions">Pooling, normalization, max length, batch size, threads and quantization of the encoder.</param>
    /// <exception cref="ArgumentException"><paramref name="options"/> names other tasks than the dataset's, or is invalid.</exception>
    /// <exception cref="ModelNotFoundException">No model has that name or path (the message says where it looked).</exception>
    /// <exception cref="ModelFormatException">The model's files are damaged.</exception>
    public static MultiTaskModel Create(string modelNameOrPath, MultiTaskDataset dataset, MultiTaskModelOptions? options = null,
        SentenceEncoderOptions? encoderOptions = null)
    {
        var withTasks = OptionsFor(dataset, options);
        return new MultiTaskModel(SentenceEncoder.FromPretrained(modelNameOrPath, encoderOptions), withTasks, null);
    }

    /// <summary>Creates a model with untrained heads for the tasks and labels of <paramref name="dataset"/> on
    /// <paramref name="encoder"/>, which the model then owns (and disposes).</summary>
    /// <param name="encoder">The shared encoder.</param>
    /// <param name="dataset">The data whose tasks become the model's.</param>
    /// <param name="options">Heads; its <see cref="MultiTaskModelOptions.Tasks"/> must be empty (the default) or the dataset's.</param>
    /// <exception cref="ArgumentException"><paramref name="options"/> names other tasks than the dataset's, or is invalid.</exception>
    public static MultiTaskModel Create(SentenceEncoder encoder, MultiTaskDataset dataset, MultiTaskModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        return new MultiTaskModel(encoder, OptionsFor(dataset, options), null);
    }

    /// <summary>Creates a model with untrained heads on a pretrained encoder, for a trainer to train.</summary>
    /// <param name="modelNameOrPath">Anything <see cref="SentenceEncoder.FromPretrained"/> accepts.</param>
    /// <param name="options">Tasks and heads. The tasks are required: a model never gets tasks it was not given (to take
    /// them from data, use <see cref="Create(string, MultiTaskDataset, MultiTaskModelOptions?, SentenceEncoderOptions?)"/>).</param>
    /// <param name="encoderOptions">Pooling, normalization, max length, batch size, threads and quantization of the encoder.</param>
    /// <exception cref="ArgumentException"><paramref name="options"/> is null or has no tasks (the message says how to give
    /// them), or is invalid.</exception>
    /// <exception cref="ModelNotFoundException">No model has that name or path (the message says where it looked).</exception>
    /// <exception cref="ModelFormatException">The model's files are damaged.</exception>
    public static MultiTaskModel Create(string modelNameOrPath, MultiTaskModelOptions? options = null,
        SentenceEncoderOptions? encoderOptions = null)
    {
        options = Checked(options);
        return new MultiTaskModel(SentenceEncoder.FromPretrained(modelNameOrPath, encoderOptions), options, null);
    }

    /// <summary>
    /// <see cref="Create(string, MultiTaskModelOptions?, SentenceEncoderOptions?)"/> with a cancellable load of the encoder
    /// (<see cref="SentenceEncoder.FromPretrainedAsync"/>).
    /// </summary>
    /// <param name="modelNameOrPath">Anything <see cref="SentenceEncoder.FromPretrained"/> accepts.</param>
    /// <param name="options">Tasks (required) and heads.</param>
    /// <param name="encoderOptions">Pooling, normalization, max length, batch size, threads and quantization of the encoder.</param>
    /// <param name="cancellationToken">Stops the download or the load.</param>
    /// <exception cref="ArgumentException"><paramref name="options"/> is null or has no tasks, or is invalid.</exception>
    public static async Task<MultiTaskModel> CreateAsync(string modelNameOrPath, MultiTaskModelOptions? options = null,
        SentenceEncoderOptions? encoderOptions = null, CancellationToken cancellationToken = default)
    {
        options = Checked(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelNameOrPath);
        var encoder = await SentenceEncoder.FromPretrainedAsync(modelNameOrPath, encoderOptions, cancellationToken).ConfigureAwait(false);
        return new MultiTaskModel(encoder, options, null);
    }

    /// <summary>Creates a model with untrained heads on <paramref name="encoder"/>, which the model then owns (and disposes).</summary>
    /// <param name="encoder">The shared encoder.</param>
    /// <param name="options">Tasks (required) and heads.</param>
    /// <exception cref="ArgumentException"><paramref name="options"/> is null or has no tasks, or is invalid.</exception>
    public static MultiTaskModel Create(SentenceEncoder encoder, MultiTaskModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        return new MultiTaskModel(encoder, Checked(options), null);
    }

    private static MultiTaskModelOptions Checked(MultiTaskModelOptions? options)
    {
        options ??= new MultiTaskModelOptions();
        options.Validate();
        return options;
    }

    // The options with the dataset's tasks; options naming other tasks are a mistake, not something to override.
    private static MultiTaskModelOptions OptionsFor(MultiTaskDataset dataset, MultiTaskModelOptions? options)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        options ??= new MultiTaskModelOptions();
        if (options.Tasks is { Count: > 0 } given && !given.SequenceEqual(dataset.Tasks))
        {
            throw new ArgumentException(
                $"MultiTaskModelOptions.Tasks ({DescribeTasks(given)}) differ from the dataset's ({DescribeTasks(dataset.Tasks)}). " +
                "Leave Tasks empty to take them from the dataset.", nameof(options));
        }

        return Checked(options with { Tasks = dataset.Tasks });
    }

    /// <summary><c>topic: A/B; sentiment: C/D</c>, bounded, for messages.</summary>
    internal static string DescribeTasks(IEnumerable<TaskDefinition> tasks) =>
        ErrorText.List(tasks.Select(t => $"{t.Name}: {string.Join("/", t.Labels.Take(ErrorText.MaxItems))}"));
}
