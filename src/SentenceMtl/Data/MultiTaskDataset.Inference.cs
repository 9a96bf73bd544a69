namespace SentenceMtl;

// Reading a file whose tasks and labels come from the file itself, and the choice of reader by extension.
public sealed partial class MultiTaskDataset
{
    /// <summary>
    /// Reads a dataset file by its extension (as <see cref="Load(string, IReadOnlyList{TaskDefinition}, DatasetReaderOptions?)"/>)
    /// and takes the tasks and their labels from it: every CSV column, or every JSON key, other than the text is a task
    /// named like it, and its labels are the distinct values it holds, in ordinal string order. For example a
    /// <c>text,intent,urgency</c> header gives the tasks <c>intent</c> and <c>urgency</c>. Pass the dataset to
    /// <see cref="MultiTaskModel.Create(string, MultiTaskDataset, MultiTaskModelOptions?, SentenceEncoderOptions?)"/>.
    /// </summary>
    /// <remarks>
    /// <para>Labels are sorted (ordinal), not taken in order of appearance, so a label's class index depends only on the
    /// set of labels: a shuffled or re-split file gives the same indices, as scikit-learn's <c>LabelEncoder</c> and SetFit
    /// do. Tasks are in header order (CSV) or in the order the file first uses the keys (JSON Lines).</para>
    /// <para>Read a test or validation file with the training set's tasks,
    /// <c>MultiTaskDataset.Load(testPath, train.Tasks)</c>, so that a label missing from it, or one it adds, cannot
    /// change the class indices; an unknown label is then an error naming the line.</para>
    /// <para>An empty CSV cell, or a JSON key that is absent or <c>null</c>, leaves the example unlabelled for that task
    /// (an error with <see cref="DatasetReaderOptions.RequireAllLabels"/>). Labels must be JSON strings and not blank. A
    /// column or key with fewer than two labels, more than 1000, or a different value in every one of more than 20
    /// examples (an id or a text) is refused, as are more than 100 tasks: the message names it, and the fix is to remove
    /// it or to pass the tasks with the overload that takes them (which ignores other fields).</para>
    /// </remarks>
    /// <param name="path">The file: <c>.jsonl</c>, <c>.ndjson</c>, <c>.json</c>, <c>.csv</c> or <c>.tsv</c>, UTF-8.</param>
    /// <param name="options">The text field, the CSV delimiter and strictness; <see cref="DatasetReaderOptions.LabelFields"/>
    /// must be unset (fields name the tasks here).</param>
    /// <returns>The dataset, examples in file order.</returns>
    /// <exception cref="ArgumentException">The extension is none of the above, the path is empty, or an option is invalid.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DatasetFormatException">As for the readers; or a label that is not a string or is blank (file and
    /// line), or a column or key that cannot be a task (the message names it and the fix).</exception>
    public static MultiTaskDataset Load(string path, DatasetReaderOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        bool jsonLines = IsJsonLines(path);
        options = jsonLines ? options : OptionsFor(path, options);
        char delimiter = jsonLines ? ',' : CheckedDelimiter(options);
        var schema = DatasetSchema.ForInference(options);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Dataset file not found: {path}", path);
        }

        var (examples, names) = jsonLines ? JsonLinesDatasetReader.Read(path, schema) : CsvDatasetReader.Read(path, schema, delimiter);
        var tasks = DatasetTaskInference.Tasks(path, names, examples, jsonLines ? "key" : "column");
        return new MultiTaskDataset(tasks, examples);
    }

    /// <summary>Whether the extension says JSON Lines (else CSV or TSV).</summary>
    /// <exception cref="ArgumentException">The extension is none that <see cref="Load(string, DatasetReaderOptions?)"/> reads.</exception>
    private static bool IsJsonLines(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".jsonl" or ".ndjson" or ".json" => true,
        ".csv" or ".tsv" => false,
        _ => throw new ArgumentException(
            $"Cannot tell the format of \"{path}\" from its extension; expected .jsonl, .ndjson, .json, .csv or .tsv.", nameof(path)),
    };

    /// <summary>The options for a CSV-family file: a <c>.tsv</c> file is read with a tab delimiter.</summary>
    private static DatasetReaderOptions? OptionsFor(string path, DatasetReaderOptions? options) =>
        Path.GetExtension(path).Equals(".tsv", StringComparison.OrdinalIgnoreCase)
            ? (options ?? new DatasetReaderOptions()) with { CsvDelimiter = '\t' }
            : options;

    /// <exception cref="ArgumentException">The delimiter is a quote, a line break or not ASCII.</exception>
    private static char CheckedDelimiter(DatasetReaderOptions? options)
    {
        char delimiter = (options ?? new DatasetReaderOptions()).CsvDelimiter;
        if (delimiter is '"' or '\r' or '\n' || !char.IsAscii(delimiter))
        {
            throw new ArgumentException($"CsvDelimiter must be an ASCII character other than a quote or a line break (got U+{(int)delimiter:X4}).", nameof(options));
        }

        return delimiter;
    }
}
