namespace SentenceMtl;

/// <summary>
/// The tasks of a file read by <see cref="MultiTaskDataset.Load(string, DatasetReaderOptions?)"/>: one per label column
/// or key, its labels the distinct values found, sorted by ordinal string order.
/// </summary>
/// <remarks>
/// Sorted, not in order of first appearance, so the class indices depend only on the set of labels: shuffling or
/// splitting a file gives the same indices, as scikit-learn's <c>LabelEncoder</c> (and SetFit through it) does.
/// Bounded: at most <see cref="MaxTasks"/> tasks and <see cref="MaxLabels"/> labels a task; a column whose values are
/// all different (more than <see cref="DistinctValuesLimit"/> of them) is an id or a text, not labels, and is refused
/// rather than trained as a head with one class per example.
/// </remarks>
internal static class DatasetTaskInference
{
    /// <summary>Most tasks a file may give.</summary>
    public const int MaxTasks = 100;

    /// <summary>Most labels a task may have.</summary>
    public const int MaxLabels = 1000;

    /// <summary>A column with more values than this, all different, is refused.</summary>
    public const int DistinctValuesLimit = 20;

    /// <summary>The tasks named <paramref name="names"/>, each with the labels <paramref name="examples"/> give it.</summary>
    /// <param name="path">The file, for messages.</param>
    /// <param name="names">The label columns or keys, in task order.</param>
    /// <param name="examples">The examples read.</param>
    /// <param name="kind">"column" or "key", for messages.</param>
    /// <exception cref="DatasetFormatException">Too many tasks; a task without a name, with fewer than two labels, with
    /// more than <see cref="MaxLabels"/>, or whose values are all different.</exception>
    public static TaskDefinition[] Tasks(string path, IReadOnlyList<string> names, IReadOnlyList<MultiTaskExample> examples, string kind)
    {
        if (names.Count > MaxTasks)
        {
            throw new DatasetFormatException(path, 0, $"{names.Count} {kind}s besides the text, each a task, more than the {MaxTasks} allowed " +
                $"({ErrorText.List(names, quoted: true)}). Pass the tasks to read: MultiTaskDataset.Load(path, tasks)");
        }

        var tasks = new TaskDefinition[names.Count];
        for (int i = 0; i < names.Count; i++)
        {
            tasks[i] = Task(path, names[i], i, examples, kind);
        }

        return tasks;
    }

    /// <summary>The problem text for a blank label (a cell or value of spaces only) when labels come from the file.</summary>
    public static string BlankLabel(string task, string where) =>
        $"the \"{ErrorText.Shorten(task)}\" label is blank (a {where} of spaces only); leave it empty for an unlabelled example, or write the label";

    private static TaskDefinition Task(string path, string name, int index, IReadOnlyList<MultiTaskExample> examples, string kind)
    {
        string fix = $"Remove the {kind}, or pass the tasks to read: MultiTaskDataset.Load(path, tasks)";
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new DatasetFormatException(path, 0, $"label {kind} {index + 1} has no name, so it cannot name a task. Name it, or remove it");
        }

        int labelled = 0;
        var labels = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var example in examples)
        {
            if (example.Labels.TryGetValue(name, out var label))
            {
                labelled++;
                labels.Add(label);
            }
        }

        string shown = ErrorText.Shorten(name);
        if (labels.Count < 2)
        {
            string found = labels.Count == 0 ? "no label at all" : $"only one label (\"{ErrorText.Shorten(labels.Min!)}\")";
            throw new DatasetFormatException(path, 0, $"the \"{shown}\" {kind} holds {found}, and a task needs at least two. {fix}");
        }

        if (labels.Count > MaxLabels)
        {
            throw new DatasetFormatException(path, 0, $"the \"{shown}\" {kind} holds {labels.Count} different labels, more than the {MaxLabels} a task may have. {fix}");
        }

        if (labels.Count == labelled && labelled > DistinctValuesLimit)
        {
            throw new DatasetFormatException(path, 0, $"the \"{shown}\" {kind} holds a different value in each of its {labelled} examples: " +
                $"an id or a text, not labels. {fix}");
        }

        return new TaskDefinition(name, [.. labels]);
    }
}
