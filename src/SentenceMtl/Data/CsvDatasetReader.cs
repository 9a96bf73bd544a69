using System.Text;
using System.Text.RegularExpressions;
using CsvHelper;

namespace SentenceMtl;

/// <summary>
/// Reads a CSV (or TSV) file with CsvHelper: RFC 4180 quoting, so a quoted field may hold separators, doubled quotes
/// and line breaks. The first record is the header: distinct column names, among them the text column and every label column.
/// Every record must have as many fields as the header. Malformed quoting (a stray quote in an unquoted field, text
/// after a closing quote, a quote never closed) is an error, never repaired. Completely empty lines are skipped;
/// values are kept exactly (no trimming); an empty label cell means "unlabelled for that task".
/// </summary>
internal static partial class CsvDatasetReader
{
    /// <summary>Reads every example of <paramref name="path"/>, which must exist, and the task of each label column in
    /// header order (with <see cref="DatasetSchema.InfersTasks"/>, every column but the text; else the schema's tasks).</summary>
    /// <exception cref="DatasetFormatException">The header lacks a column or repeats one, a record is malformed or has
    /// the wrong number of fields, a label is unknown (blank, when inferring), or the file holds no example.</exception>
    public static (MultiTaskExample[] Examples, string[] Tasks) Read(string path, DatasetSchema schema, char delimiter)
    {
        var options = CsvReaderOptions.Default with
        {
            Separator = delimiter,
            Mode = CsvMode.Rfc4180,
            HasHeader = true,
            AllowLineBreaksInQuotes = true,
            SkipEmptyLines = true,
            TrimWhitespace = false,
            TrackLineNumbers = true,
            DetectSeparatorHint = false,
            MalformedData = CsvMalformedDataHandling.Throw,
            FieldCountMismatch = CsvFieldCountHandling.Allow, // checked below, with a message that lists the header
        };

        try
        {
            using var csv = CsvReader.Create(Utf8FileCheck.OpenText(path), options, leaveOpen: false); // its own decoding would replace bad bytes
            csv.ReadHeader();
            var header = csv.Headers;
            if (header.Count == 0)
            {
                throw new DatasetFormatException(path, 0, "no examples");
            }

            int headerLine = LineOf(csv.LineNumber);
            var duplicate = header.GroupBy(name => name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null)
            {
                throw new DatasetFormatException(path, headerLine, $"the header repeats column \"{ErrorText.Shorten(duplicate.Key)}\" ({Describe(header)})");
            }

            int textColumn = FindColumn(path, headerLine, header, schema.TextField, null, delimiter);
            var labelColumns = LabelColumns(path, headerLine, header, schema, textColumn, delimiter);
            string[] tasks = schema.InfersTasks ? [.. labelColumns.Select(i => header[i])] : [.. schema.Tasks.Select(t => t.Name)];

            var examples = new List<MultiTaskExample>();
            while (csv.Read())
            {
                int line = LineOf(csv.LineNumber);
                if (csv.FieldCount != header.Count)
                {
                    throw new DatasetFormatException(
                        path, line, $"expected {header.Count} fields ({Describe(header)}), found {csv.FieldCount}");
                }

                examples.Add(new MultiTaskExample(csv.GetString(textColumn), ReadLabels(path, line, csv, schema, labelColumns, tasks)));
            }

            if (examples.Count == 0)
            {
                throw new DatasetFormatException(path, 0, "no examples");
            }

            return ([.. examples], tasks);
        }
        catch (CsvFormatException e)
        {
            throw new DatasetFormatException(
                path, LineOf(e.LineNumber), $"malformed CSV: {WithoutPosition(e.Message)}; a field that contains quotes must be quoted, with each inner quote doubled", e);
        }
        catch (DecoderFallbackException e)
        {
            throw Utf8FileCheck.Problem(path, e) ?? new DatasetFormatException(path, 0, "the file is not valid UTF-8", e);
        }
    }

    private static IReadOnlyDictionary<string, string> ReadLabels(
        string path, int line, CsvReader csv, DatasetSchema schema, int[] labelColumns, string[] tasks)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < labelColumns.Length; i++)
        {
            string label = csv.GetString(labelColumns[i]);
            if (label.Length == 0)
            {
                if (schema.RequireAllLabels)
                {
                    string what = schema.InfersTasks ? $"\"{tasks[i]}\" label" : schema.LabelDescription(i);
                    throw new DatasetFormatException(path, line, $"missing {what} (empty cell)");
                }

                continue;
            }

            if (schema.InfersTasks ? string.IsNullOrWhiteSpace(label) : schema.Tasks[i].IndexOf(label) < 0)
            {
                throw new DatasetFormatException(path, line, schema.InfersTasks
                    ? DatasetTaskInference.BlankLabel(tasks[i], "cell")
                    : DatasetSchema.UnknownLabel(schema.Tasks[i], label));
            }

            labels.Add(tasks[i], label);
        }

        return labels.AsReadOnly();
    }

    // The label columns: the schema's label fields, or (inferring) every column but the text, in header order.
    private static int[] LabelColumns(string path, int headerLine, IReadOnlyList<string> header, DatasetSchema schema, int textColumn, char delimiter)
    {
        if (!schema.InfersTasks)
        {
            return [.. Enumerable.Range(0, schema.Tasks.Count)
                .Select(i => FindColumn(path, headerLine, header, schema.LabelFields[i], schema.Tasks[i].Name, delimiter))];
        }

        if (header.Count == 1)
        {
            string fix = DelimiterHint(header, delimiter) ?? "Add one column per task, holding each example's label.";
            throw new DatasetFormatException(path, headerLine, $"no label columns: the header has only the text column \"{schema.TextField}\". {fix}");
        }

        return [.. Enumerable.Range(0, header.Count).Where(i => i != textColumn)];
    }

    // The column named `name`, which holds the labels of `task` (null: the text). A header without it is an error
    // that lists the header and says which option fixes the mismatch.
    private static int FindColumn(string path, int headerLine, IReadOnlyList<string> header, string name, string? task, char delimiter)
    {
        for (int i = 0; i < header.Count; i++)
        {
            if (string.Equals(header[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        string role = task is null ? "the text" : $"the {task} labels";
        string fix = DelimiterHint(header, delimiter) ?? DatasetFieldHints.Fix(name, task, [.. header.Take(1000)], "column");
        throw new DatasetFormatException(path, headerLine, $"no column \"{name}\" for {role} in the header ({Describe(header)}). {fix}");
    }

    // A header read as one column that holds another usual separator: the file is likely separated by that one.
    private static string? DelimiterHint(IReadOnlyList<string> header, char delimiter)
    {
        if (header.Count != 1)
        {
            return null;
        }

        foreach (char candidate in (ReadOnlySpan<char>)[';', '\t', '|', ','])
        {
            if (candidate != delimiter && header[0].Contains(candidate, StringComparison.Ordinal))
            {
                string written = candidate == '\t' ? "'\\t'" : $"'{candidate}'";
                string tsv = candidate == '\t' ? " (MultiTaskDataset.Load reads a .tsv file with tabs)" : "";
                return $"The header is a single column that contains {written}: if the file's fields are separated by {written}, " +
                    $"set DatasetReaderOptions.CsvDelimiter = {written}{tsv}.";
            }
        }

        return null;
    }

    private static string Describe(IReadOnlyList<string> header) => "header: " + ErrorText.List(header, quoted: true);

    // CsvHelper starts its messages with the record and line, which our message already leads with.
    private static string WithoutPosition(string message) => CsvPositionPrefix().Replace(message, "").TrimEnd('.');

    [GeneratedRegex(@"^Malformed CSV in record \d+ \(line \d+\): ")]
    private static partial Regex CsvPositionPrefix();

    // CsvHelper counts lines in longs; a dataset with more than int.MaxValue lines is not a use case.
    private static int LineOf(long lineNumber) => (int)Math.Min(lineNumber, int.MaxValue);
}
