namespace SentenceMtl.Checkpoints;

/// <summary>
/// Lists names (keys, tensors, tasks) in an error message with a bounded length: the first
/// <see cref="MaxNames"/>, each cut to <see cref="MaxNameLength"/> characters, then "and N more".
/// A hostile file can hold millions of names; the message must stay readable and small.
/// </summary>
internal static class NameList
{
    /// <summary>How many names a message shows.</summary>
    public const int MaxNames = 20;

    /// <summary>How many characters of one name a message shows.</summary>
    public const int MaxNameLength = 120;

    /// <summary>The first names, comma-separated, then "(and N more)" when some were left out.</summary>
    public static string Format(IEnumerable<string> names)
    {
        var shown = new List<string>(MaxNames);
        int total = 0;
        foreach (string name in names)
        {
            if (total++ < MaxNames)
            {
                shown.Add(Truncate(name));
            }
        }

        string list = string.Join(", ", shown);
        return total > MaxNames ? $"{list} (and {total - MaxNames} more)" : list;
    }

    /// <summary><paramref name="name"/>, cut to <see cref="MaxNameLength"/> characters with "…" when longer.</summary>
    public static string Truncate(string name) =>
        name.Length <= MaxNameLength ? name : string.Concat(name.AsSpan(0, MaxNameLength), "…");
}
