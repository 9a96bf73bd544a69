using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SentenceMtl;

/// <summary>
/// Reads a JSON Lines file: one JSON object per line, the text and each task's label name as string values.
/// Blank lines are skipped (they hold no example); keys that are neither the text nor a label field are ignored.
/// </summary>
internal static partial class JsonLinesDatasetReader
{
    // Duplicate keys would make "which label?" ambiguous, so they are malformed here.
    private static readonly JsonDocumentOptions JsonOptions = new() { AllowDuplicateProperties = false };

    /// <summary>Reads every example of <paramref name="path"/>, which must exist, and the tasks: the schema's, or (with
    /// <see cref="DatasetSchema.InfersTasks"/>) every key but the text, in the order the file first uses them.</summary>
    /// <exception cref="DatasetFormatException">A line is not a JSON object of the expected shape, a label is unknown
    /// (not a string or blank, when inferring), or the file holds no example.</exception>
    public static (MultiTaskExample[] Examples, string[] Tasks) Read(string path, DatasetSchema schema)
    {
        var examples = new List<MultiTaskExample>();
        var lines = new List<int>();
        try
        {
            using var reader = Utf8FileCheck.OpenText(path);
            int lineNumber = 0;
            while (reader.ReadLine() is { } line)
            {
                lineNumber++;
                if (!string.IsNullOrWhiteSpace(line))
                {
                    examples.Add(ReadLine(path, lineNumber, line, schema));
                    lines.Add(lineNumber);
                }
            }
        }
        catch (DecoderFallbackException e)
        {
            throw Utf8FileCheck.Problem(path, e) ?? new DatasetFormatException(path, 0, "the file is not valid UTF-8", e);
        }

        if (examples.Count == 0)
        {
            throw new DatasetFormatException(path, 0, "no examples");
        }

        return ([.. examples], schema.InfersTasks ? InferredTasks(path, examples, lines, schema) : [.. schema.Tasks.Select(t => t.Name)]);
    }

    // Every key that holds a label somewhere, in order of first use; with RequireAllLabels, every example must have them all.
    private static string[] InferredTasks(string path, List<MultiTaskExample> examples, List<int> lines, DatasetSchema schema)
    {
        var tasks = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var example in examples)
        {
            tasks.AddRange(example.Labels.Keys.Where(seen.Add));
        }

        for (int i = 0; schema.RequireAllLabels && i < examples.Count; i++)
        {
            if (tasks.FirstOrDefault(t => !examples[i].Labels.ContainsKey(t)) is { } missing)
            {
                throw new DatasetFormatException(path, lines[i], $"missing \"{missing}\" label (the key is absent or null)");
            }
        }

        return [.. tasks];
    }

    private static MultiTaskExample ReadLine(string path, int lineNumber, string line, DatasetSchema schema)
    {
        try
        {
            return ReadObject(path, lineNumber, line, schema);
        }
        catch (InvalidOperationException e)
        {
            // System.Text.Json throws this (not JsonException) for an escaped unpaired surrogate such as "\ud800".
            throw new DatasetFormatException(path, lineNumber, $"a JSON string is not valid Unicode ({e.Message})", e);
        }
    }

    private static MultiTaskExample ReadObject(string path, int lineNumber, string line, DatasetSchema schema)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new DatasetFormatException(path, lineNumber, $"malformed JSON{BytePosition(e)}: {WithoutPosition(e.Message)}{ArrayHint(line)}", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new DatasetFormatException(path, lineNumber, $"expected a JSON object, found {KindName(root.ValueKind)}{ArrayHint(line)}");
            }

            if (!root.TryGetProperty(schema.TextField, out var textElement))
            {
                throw new DatasetFormatException(path, lineNumber, $"missing text field \"{schema.TextField}\"{KeysAndFix(root, schema.TextField, null)}");
            }

            if (textElement.ValueKind != JsonValueKind.String)
            {
                throw new DatasetFormatException(
                    path, lineNumber, $"text field \"{schema.TextField}\" must be a string, found {KindName(textElement.ValueKind)}");
            }

            if (schema.InfersTasks)
            {
                return new MultiTaskExample(textElement.GetString()!, InferredLabels(path, lineNumber, root, schema.TextField));
            }

            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int i = 0; i < schema.Tasks.Count; i++)
            {
                var task = schema.Tasks[i];
                bool present = root.TryGetProperty(schema.LabelFields[i], out var labelElement);
                if (!present || labelElement.ValueKind == JsonValueKind.Null)
                {
                    if (schema.RequireAllLabels)
                    {
                        throw new DatasetFormatException(path, lineNumber,
                            $"missing {schema.LabelDescription(i)}" + (present ? " (null)" : KeysAndFix(root, schema.LabelFields[i], task.Name)));
                    }

                    continue;
                }

                if (labelElement.ValueKind != JsonValueKind.String)
                {
                    throw new DatasetFormatException(
                        path, lineNumber, $"{schema.LabelDescription(i)} must be a label name (a string), found {KindName(labelElement.ValueKind)}");
                }

                string label = labelElement.GetString()!;
                if (task.IndexOf(label) < 0)
                {
                    throw new DatasetFormatException(path, lineNumber, DatasetSchema.UnknownLabel(task, label));
                }

                labels.Add(task.Name, label);
            }

            return new MultiTaskExample(textElement.GetString()!, labels.AsReadOnly());
        }
    }

    // Inferring: every key but the text holds a label name (a non-blank string) or null (unlabelled).
    private static IReadOnlyDictionary<string, string> InferredLabels(string path, int lineNumber, JsonElement root, string textField)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (property.Name == textField || property.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (property.Value.ValueKind != JsonValueKind.String)
            {
                throw new DatasetFormatException(path, lineNumber,
                    $"\"{ErrorText.Shorten(property.Name)}\" must be a label name (a string), found {KindName(property.Value.ValueKind)}. " +
                    "When MultiTaskDataset.Load infers the tasks, every key other than the text is a task; to read only some keys, " +
                    "pass the tasks: MultiTaskDataset.Load(path, tasks)");
            }

            string label = property.Value.GetString()!;
            if (string.IsNullOrWhiteSpace(label))
            {
                throw new DatasetFormatException(path, lineNumber, DatasetTaskInference.BlankLabel(property.Name, "value"));
            }

            labels.Add(property.Name, label);
        }

        return labels.AsReadOnly();
    }

    // The object's keys (bounded) and how to make them provide `field` for `task` (null: the text).
    private static string KeysAndFix(JsonElement root, string field, string? task)
    {
        var keys = root.EnumerateObject().Select(p => p.Name);
        return $" (keys: {ErrorText.List(keys, quoted: true)}). {DatasetFieldHints.Fix(field, task, [.. keys.Take(1000)], "key")}";
    }

    private static string KindName(JsonValueKind kind) => kind switch
    {
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => "a " + kind.ToString().ToLowerInvariant(),
    };

    // A pretty-printed JSON array saved as .json fails on its first line; say what the reader expects instead.
    private static string ArrayHint(string line) =>
        line.TrimStart().StartsWith('[') ? " (JSON Lines needs one object per line, not a JSON array)" : "";

    private static string BytePosition(JsonException e) => e.BytePositionInLine is { } position ? $" at byte {position + 1}" : "";

    // System.Text.Json ends its messages with a position inside the parsed text ("LineNumber: 0 | ..."), which
    // reads as a wrong line number next to ours, and sometimes with advice to change options the caller cannot set.
    private static string WithoutPosition(string message) => JsonMessageTail().Replace(message, "").TrimEnd().TrimEnd('.');

    [GeneratedRegex(@"(\s*Change the reader options\.)?\s*LineNumber: \d+ \| BytePositionInLine: \d+\.?$")]
    private static partial Regex JsonMessageTail();
}
