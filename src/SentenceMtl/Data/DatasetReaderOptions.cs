namespace SentenceMtl;

/// <summary>Where <see cref="MultiTaskDataset"/>'s readers find the text and the labels in a JSONL or CSV file.</summary>
public sealed record DatasetReaderOptions
{
    /// <summary>The JSON key or CSV column that holds the text. Default <c>"text"</c>.</summary>
    public string TextField { get; init; } = "text";

    /// <summary>
    /// The JSON key or CSV column of each task's label, by task name. A task not listed reads the field named like
    /// the task (<see cref="TaskDefinition.Name"/>). Default <see langword="null"/>: every task reads its own name. Only
    /// for readers given the tasks: <see cref="MultiTaskDataset.Load(string, DatasetReaderOptions?)"/>, which takes the
    /// tasks from the file, refuses it.
    /// </summary>
    public IReadOnlyDictionary<string, string>? LabelFields { get; init; }

    /// <summary>The CSV field separator. Default <c>','</c>; <c>MultiTaskDataset.Load</c> uses a tab for <c>.tsv</c>.</summary>
    public char CsvDelimiter { get; init; } = ',';

    /// <summary>
    /// Whether every example must have a label for every task. Default <see langword="false"/>: an absent or
    /// <c>null</c> JSON value or an empty CSV cell leaves the example unlabelled for that task.
    /// </summary>
    public bool RequireAllLabels { get; init; }
}
