namespace SentenceMtl;

/// <summary>
/// The tasks of a dataset and the fields a reader takes the text and each task's label from: the
/// <see cref="DatasetReaderOptions"/> resolved against the tasks and checked once, before a file is opened.
/// </summary>
internal sealed class DatasetSchema
{
    private DatasetSchema(TaskDefinition[] tasks, string textField, string[] labelFields, bool requireAllLabels, bool infersTasks = false)
    {
        Tasks = tasks;
        TextField = textField;
        LabelFields = labelFields;
        RequireAllLabels = requireAllLabels;
        InfersTasks = infersTasks;
    }

    /// <summary>
    /// Whether the tasks come from the file (<see cref="ForInference"/>): every CSV column or JSON key other than the
    /// text is a task named like it, any non-blank string is a label, and <see cref="Tasks"/> is empty.
    /// </summary>
    public bool InfersTasks { get; }

    /// <summary>The tasks, in the caller's order.</summary>
    public IReadOnlyList<TaskDefinition> Tasks { get; }

    /// <summary>The JSON key / CSV column of the text.</summary>
    public string TextField { get; }

    /// <summary>The JSON key / CSV column of each task's label, aligned with <see cref="Tasks"/>.</summary>
    public IReadOnlyList<string> LabelFields { get; }

    /// <summary>Whether an absent label is an error rather than "unlabelled for that task".</summary>
    public bool RequireAllLabels { get; }

    /// <summary>Resolves <paramref name="options"/> against <paramref name="tasks"/>.</summary>
    /// <exception cref="ArgumentException">The tasks or the options are inconsistent (see <see cref="CheckTasks"/>;
    /// an empty field name, a label field for an unknown task, two tasks or the text reading the same field).</exception>
    public static DatasetSchema Create(IReadOnlyList<TaskDefinition> tasks, DatasetReaderOptions? options)
    {
        var checkedTasks = CheckTasks(tasks);
        options ??= new DatasetReaderOptions();
        if (string.IsNullOrEmpty(options.TextField))
        {
            throw new ArgumentException("TextField must name a field.", nameof(options));
        }

        var overrides = options.LabelFields ?? new Dictionary<string, string>();
        foreach (var (task, field) in overrides)
        {
            if (!checkedTasks.Any(t => t.Name == task))
            {
                throw new ArgumentException(
                    $"LabelFields maps \"{task}\", which is not a task (tasks: {TaskNames(checkedTasks)}).", nameof(options));
            }

            if (string.IsNullOrEmpty(field))
            {
                throw new ArgumentException($"LabelFields gives task \"{task}\" an empty field name.", nameof(options));
            }
        }

        var labelFields = checkedTasks.Select(t => overrides.TryGetValue(t.Name, out var field) ? field : t.Name).ToArray();
        var fieldUsers = new Dictionary<string, string>(StringComparer.Ordinal) { [options.TextField] = "the text" };
        for (int i = 0; i < checkedTasks.Length; i++)
        {
            if (!fieldUsers.TryAdd(labelFields[i], $"task \"{checkedTasks[i].Name}\""))
            {
                throw new ArgumentException(
                    $"Task \"{checkedTasks[i].Name}\" and {fieldUsers[labelFields[i]]} both read field \"{labelFields[i]}\".", nameof(options));
            }
        }

        return new DatasetSchema(checkedTasks, options.TextField, labelFields, options.RequireAllLabels);
    }

    /// <summary>The schema of <see cref="MultiTaskDataset.Load(string, DatasetReaderOptions?)"/>: tasks and labels from the file.</summary>
    /// <exception cref="ArgumentException">An empty <see cref="DatasetReaderOptions.TextField"/>, or
    /// <see cref="DatasetReaderOptions.LabelFields"/> set (it maps tasks the caller names; here the fields name them).</exception>
    public static DatasetSchema ForInference(DatasetReaderOptions? options)
    {
        options ??= new DatasetReaderOptions();
        if (string.IsNullOrEmpty(options.TextField))
        {
            throw new ArgumentException("TextField must name a field.", nameof(options));
        }

        if (options.LabelFields is { Count: > 0 })
        {
            throw new ArgumentException(
                "DatasetReaderOptions.LabelFields maps tasks you define; when MultiTaskDataset.Load infers the tasks, every column or key " +
                "other than the text is a task named like it. Rename the fields, or pass the tasks: MultiTaskDataset.Load(path, tasks, options).",
                nameof(options));
        }

        return new DatasetSchema([], options.TextField, [], options.RequireAllLabels, infersTasks: true);
    }

    /// <summary>Checks a task list: not null, no null entries, distinct names (ordinal).</summary>
    /// <returns>A copy of the list.</returns>
    public static TaskDefinition[] CheckTasks(IReadOnlyList<TaskDefinition> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var copy = tasks.ToArray();
        if (copy.Any(t => t is null))
        {
            throw new ArgumentException("The task list contains null.", nameof(tasks));
        }

        var duplicate = copy.GroupBy(t => t.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"Two tasks are named \"{duplicate.Key}\".", nameof(tasks));
        }

        return copy;
    }

    /// <summary>The problem text for a label name that <paramref name="task"/> does not have.</summary>
    public static string UnknownLabel(TaskDefinition task, string label) =>
        $"unknown {task.Name} label \"{label}\" (valid: {string.Join(", ", task.Labels)})";

    /// <summary>The task names, comma-separated, for messages.</summary>
    public static string TaskNames(IEnumerable<TaskDefinition> tasks) => string.Join(", ", tasks.Select(t => t.Name));

    /// <summary>How messages name task <paramref name="index"/>'s label: <c>"topic" label</c>, plus the field when it
    /// differs from the task name.</summary>
    public string LabelDescription(int index) =>
        LabelFields[index] == Tasks[index].Name
            ? $"\"{Tasks[index].Name}\" label"
            : $"\"{Tasks[index].Name}\" label (field \"{LabelFields[index]}\")";
}
