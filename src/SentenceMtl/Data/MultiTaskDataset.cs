using System.Collections;

namespace SentenceMtl;

/// <summary>
/// Labelled sentences for multi-task training and evaluation: the tasks, and per example a text and a label name per
/// task, mapped to class indices through the task definitions. An example may lack the label of some tasks. Immutable.
/// </summary>
/// <remarks>
/// The readers are strict: an unknown label, a missing text or a malformed line throws a
/// <see cref="DatasetFormatException"/> with the file and line; nothing is skipped except blank lines, which hold no
/// example. A file that does not exist throws <see cref="FileNotFoundException"/>.
/// </remarks>
public sealed partial class MultiTaskDataset : IReadOnlyList<MultiTaskExample>
{
    private readonly MultiTaskExample[] _examples;
    private readonly Dictionary<string, int[]> _labelIndices; // task name -> class index per example, -1 = unlabelled

    private MultiTaskDataset(TaskDefinition[] tasks, MultiTaskExample[] examples, Dictionary<string, int[]> labelIndices)
    {
        _examples = examples;
        _labelIndices = labelIndices;
        Tasks = Array.AsReadOnly(tasks);
        Texts = Array.AsReadOnly(Array.ConvertAll(examples, e => e.Text));
    }

    // `examples` must be valid for `tasks`: every label key a task, every label one of that task's names.
    private MultiTaskDataset(TaskDefinition[] tasks, MultiTaskExample[] examples)
        : this(tasks, examples, tasks.ToDictionary(
            task => task.Name,
            task => Array.ConvertAll(examples, e => e.Labels.TryGetValue(task.Name, out var label) ? task.IndexOf(label) : -1),
            StringComparer.Ordinal))
    {
    }

    /// <summary>The tasks, in the order given when the dataset was made.</summary>
    public IReadOnlyList<TaskDefinition> Tasks { get; }

    /// <summary>The text of each example, in order.</summary>
    public IReadOnlyList<string> Texts { get; }

    /// <summary>The number of examples.</summary>
    public int Count => _examples.Length;

    /// <summary>The example at <paramref name="index"/>.</summary>
    /// <param name="index">0-based position.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside [0, <see cref="Count"/>).</exception>
    public MultiTaskExample this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _examples.Length);
            return _examples[index];
        }
    }

    /// <summary>Makes a dataset from examples built in code, checking them against the tasks.</summary>
    /// <param name="tasks">The tasks, with distinct names.</param>
    /// <param name="examples">The examples (copied; may be empty). Label keys are task names, label values label
    /// names of that task (ordinal); leave a task out of <see cref="MultiTaskExample.Labels"/> for "unlabelled".</param>
    /// <returns>The dataset.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="tasks"/> or <paramref name="examples"/> is null.</exception>
    /// <exception cref="ArgumentException">A task is null or two share a name; an example is null, has a null text or
    /// null labels, a label for a task not in <paramref name="tasks"/>, or a label name its task does not have (the
    /// message names the example index and lists the valid labels).</exception>
    public static MultiTaskDataset Create(IReadOnlyList<TaskDefinition> tasks, IEnumerable<MultiTaskExample> examples)
    {
        var checkedTasks = DatasetSchema.CheckTasks(tasks);
        ArgumentNullException.ThrowIfNull(examples);
        var copies = new List<MultiTaskExample>();
        foreach (var example in examples)
        {
            copies.Add(CheckExample(copies.Count, example, checkedTasks));
        }

        return new MultiTaskDataset(checkedTasks, [.. copies]);
    }

    /// <summary>
    /// Reads a JSON Lines file: one JSON object per line with the text and each task's label name as strings, e.g.
    /// <c>{"text": "…", "topic": "Sports", "sentiment": "Positive"}</c>.
    /// </summary>
    /// <remarks>
    /// A label key that is absent or <c>null</c> leaves the example unlabelled for that task (an error with
    /// <see cref="DatasetReaderOptions.RequireAllLabels"/>). Blank lines are skipped; other keys are ignored; duplicate
    /// keys are malformed. Label names match exactly (ordinal). Texts are kept exactly as written; <c>""</c> is a text.
    /// </remarks>
    /// <param name="path">The file, UTF-8 (a byte order mark is allowed).</param>
    /// <param name="tasks">The tasks to read labels for.</param>
    /// <param name="options">Field names and strictness; by default <c>"text"</c> and each task's name.</param>
    /// <returns>The dataset, examples in file order.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty, or the tasks or options are inconsistent
    /// (duplicate task names, <see cref="DatasetReaderOptions.LabelFields"/> naming an unknown task, two tasks or the
    /// text reading one field).</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DatasetFormatException">The file is not UTF-8 (the line and byte offset of the first bad bytes), a
    /// line is not a JSON object, lacks the text or has a non-string text, has a label that is not a string or not a label
    /// of its task, or the file has no examples (line 0).</exception>
    public static MultiTaskDataset FromJsonLines(string path, IReadOnlyList<TaskDefinition> tasks, DatasetReaderOptions? options = null)
    {
        var schema = Prepare(path, tasks, options);
        return new MultiTaskDataset([.. schema.Tasks], JsonLinesDatasetReader.Read(path, schema).Examples);
    }

    /// <summary>
    /// Reads a CSV file whose first row is a header naming the text column and one column per task, e.g.
    /// <c>text,topic,sentiment</c>. Fields follow RFC 4180: a field in double quotes may contain the delimiter, line
    /// breaks and doubled quotes (<c>""</c>).
    /// </summary>
    /// <remarks>
    /// Every label column must be in the header (a missing column is an error even without
    /// <see cref="DatasetReaderOptions.RequireAllLabels"/>, so a misspelt column cannot pass as "no labels"); an empty
    /// cell leaves that example unlabelled for the task. Header names must be distinct; other columns are ignored.
    /// Every record must have as many fields as the header, and malformed quoting (a quote inside an unquoted field,
    /// text after a closing quote, an unclosed quote) is an error. Completely empty lines are skipped. Values are not
    /// trimmed. Line numbers in errors are the physical line where the record starts.
    /// </remarks>
    /// <param name="path">The file, UTF-8 (a byte order mark is allowed).</param>
    /// <param name="tasks">The tasks to read labels for.</param>
    /// <param name="options">Column names, <see cref="DatasetReaderOptions.CsvDelimiter"/> and strictness.</param>
    /// <returns>The dataset, examples in file order.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty; the tasks or options are inconsistent; the
    /// delimiter is a quote, a line break or not ASCII.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DatasetFormatException">The file is not UTF-8 (the line and byte offset of the first bad bytes); the
    /// header lacks a column or repeats one; a record is malformed, has the wrong number of fields, an unknown label; or
    /// the file has no examples (line 0).</exception>
    public static MultiTaskDataset FromCsv(string path, IReadOnlyList<TaskDefinition> tasks, DatasetReaderOptions? options = null)
    {
        char delimiter = CheckedDelimiter(options);
        var schema = Prepare(path, tasks, options);
        return new MultiTaskDataset([.. schema.Tasks], CsvDatasetReader.Read(path, schema, delimiter).Examples);
    }

    /// <summary>
    /// Reads a dataset file by its extension (any case): <c>.jsonl</c>, <c>.ndjson</c> and <c>.json</c> as JSON Lines
    /// (<see cref="FromJsonLines"/>), <c>.csv</c> as CSV with <see cref="DatasetReaderOptions.CsvDelimiter"/>,
    /// <c>.tsv</c> as CSV with a tab delimiter (<see cref="FromCsv"/>).
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="tasks">The tasks to read labels for.</param>
    /// <param name="options">Field names and strictness.</param>
    /// <returns>The dataset.</returns>
    /// <exception cref="ArgumentException">The extension is none of the above, or as for the reader.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DatasetFormatException">As for the reader.</exception>
    public static MultiTaskDataset Load(string path, IReadOnlyList<TaskDefinition> tasks, DatasetReaderOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return IsJsonLines(path) ? FromJsonLines(path, tasks, options) : FromCsv(path, tasks, OptionsFor(path, options));
    }

    /// <summary>The class index of each example's label for <paramref name="task"/>, -1 where it has none.</summary>
    /// <param name="task">A task name.</param>
    /// <returns>A new array of <see cref="Count"/> indices into the task's <see cref="TaskDefinition.Labels"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="task"/> is not one of <see cref="Tasks"/>.</exception>
    public int[] LabelIndices(string task) => (int[])IndicesOf(task).Clone();

    /// <summary>The number of examples with a label for <paramref name="task"/>.</summary>
    /// <param name="task">A task name.</param>
    /// <returns>The count, at most <see cref="Count"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="task"/> is not one of <see cref="Tasks"/>.</exception>
    public int LabeledCount(string task) => IndicesOf(task).Count(index => index >= 0);

    /// <summary>
    /// The examples at <paramref name="indices"/>, in that order, with the same tasks: for train/test splits and
    /// cross-validation folds. An index may repeat (bootstrap samples); an empty selection gives an empty dataset.
    /// </summary>
    /// <param name="indices">Positions in this dataset.</param>
    /// <returns>The new dataset.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="indices"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside [0, <see cref="Count"/>).</exception>
    public MultiTaskDataset Subset(IEnumerable<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        int[] selected = [.. indices];
        for (int i = 0; i < selected.Length; i++)
        {
            if ((uint)selected[i] >= (uint)_examples.Length)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(indices), selected[i], $"Index {selected[i]} (position {i}) is outside [0, {_examples.Length}).");
            }
        }

        var labelIndices = _labelIndices.ToDictionary(
            pair => pair.Key, pair => Array.ConvertAll(selected, i => pair.Value[i]), StringComparer.Ordinal);
        return new MultiTaskDataset([.. Tasks], Array.ConvertAll(selected, i => _examples[i]), labelIndices);
    }

    /// <summary>Per task, how many examples have each label; unlabelled examples are not counted.</summary>
    /// <returns>A new dictionary: task name → array with one count per class index (an unknown task name throws a
    /// <see cref="KeyNotFoundException"/> listing the tasks).</returns>
    public IReadOnlyDictionary<string, int[]> LabelCounts()
    {
        var counts = new Dictionary<string, int[]>(StringComparer.Ordinal);
        foreach (var task in Tasks)
        {
            var perClass = new int[task.Labels.Count];
            foreach (int index in _labelIndices[task.Name])
            {
                if (index >= 0)
                {
                    perClass[index]++;
                }
            }

            counts.Add(task.Name, perClass);
        }

        return new MultiTask.TaskKeyedDictionary<int[]>(counts);
    }

    /// <inheritdoc/>
    public IEnumerator<MultiTaskExample> GetEnumerator() => ((IEnumerable<MultiTaskExample>)_examples).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int[] IndicesOf(string task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return _labelIndices.TryGetValue(task, out var indices)
            ? indices
            : throw new ArgumentException($"Unknown task \"{task}\" (tasks: {DatasetSchema.TaskNames(Tasks)}).", nameof(task));
    }

    private static DatasetSchema Prepare(string path, IReadOnlyList<TaskDefinition> tasks, DatasetReaderOptions? options)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var schema = DatasetSchema.Create(tasks, options);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Dataset file not found: {path}", path);
        }

        return schema;
    }

    // Validates one example of Create and returns a copy whose label dictionary the caller can no longer change.
    private static MultiTaskExample CheckExample(int index, MultiTaskExample? example, TaskDefinition[] tasks)
    {
        if (example is null)
        {
            throw new ArgumentException($"Example {index} is null.", "examples");
        }

        if (example.Text is null)
        {
            throw new ArgumentException($"Example {index} has no text (Text is null).", "examples");
        }

        if (example.Labels is null)
        {
            throw new ArgumentException($"Example {index} has null Labels; use an empty dictionary for an unlabelled example.", "examples");
        }

        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (taskName, label) in example.Labels)
        {
            var task = Array.Find(tasks, t => t.Name == taskName);
            if (task is null)
            {
                throw new ArgumentException(
                    $"Example {index} has a label for unknown task \"{taskName}\" (tasks: {DatasetSchema.TaskNames(tasks)}).", "examples");
            }

            if (label is null)
            {
                throw new ArgumentException(
                    $"Example {index}: the \"{taskName}\" label is null; leave the task out of Labels for an unlabelled example.", "examples");
            }

            if (task.IndexOf(label) < 0)
            {
                throw new ArgumentException($"Example {index}: {DatasetSchema.UnknownLabel(task, label)}.", "examples");
            }

            labels.Add(taskName, label);
        }

        return new MultiTaskExample(example.Text, labels.AsReadOnly());
    }
}
