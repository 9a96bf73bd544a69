namespace SentenceMtl;

/// <summary>
/// How to fix a "field not found" mismatch (the message lists the file's names with <see cref="ErrorText.List"/>):
/// the <see cref="DatasetReaderOptions"/> property to set and the near miss by case or by surrounding spaces, since
/// names match exactly.
/// </summary>
internal static class DatasetFieldHints
{
    /// <summary>
    /// How to make a file whose fields are <paramref name="found"/> provide <paramref name="wanted"/> for
    /// <paramref name="taskName"/> (null: for the text): rename the field, or point the option at the near miss.
    /// </summary>
    /// <param name="wanted">The field the options ask for.</param>
    /// <param name="taskName">The task whose labels the field holds; null for the text field.</param>
    /// <param name="found">The names in the file.</param>
    /// <param name="kind">"column" or "key", for the message.</param>
    public static string Fix(string wanted, string? taskName, IReadOnlyCollection<string> found, string kind)
    {
        string option = taskName is null ? "DatasetReaderOptions.TextField" : "DatasetReaderOptions.LabelFields";
        string? byCase = found.FirstOrDefault(f => string.Equals(f, wanted, StringComparison.OrdinalIgnoreCase));
        if (byCase is not null)
        {
            return $"Names are case-sensitive: the file has \"{ErrorText.Shorten(byCase)}\", which differs from \"{wanted}\" only in case. " +
                $"Rename the {kind} to \"{wanted}\", or set {Assignment(taskName, byCase)}.";
        }

        string? bySpaces = found.FirstOrDefault(f => f.Length <= 1024 && string.Equals(f.Trim(), wanted, StringComparison.OrdinalIgnoreCase));
        if (bySpaces is not null)
        {
            return $"Names are not trimmed and are case-sensitive: the file has \"{ErrorText.Shorten(bySpaces)}\". " +
                $"Rename the {kind} to \"{wanted}\", or set {Assignment(taskName, bySpaces)}.";
        }

        string holds = taskName is null ? "the text" : $"the {taskName} labels";
        return $"Names are case-sensitive. Rename the {kind} that holds {holds} to \"{wanted}\", or set {option} " +
            (taskName is null ? $"to its name (for example {Assignment(taskName, "sentence")})." : $"to map task \"{taskName}\" to its name (for example {Assignment(taskName, "label")}).");
    }

    // C# the caller can paste into its DatasetReaderOptions initializer.
    private static string Assignment(string? taskName, string field) =>
        taskName is null
            ? $"DatasetReaderOptions.TextField = \"{ErrorText.Shorten(field)}\""
            : $"DatasetReaderOptions.LabelFields = new Dictionary<string, string> {{ [\"{taskName}\"] = \"{ErrorText.Shorten(field)}\" }}";
}
