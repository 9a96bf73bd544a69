namespace SentenceMtl;

/// <summary>
/// Lists of names (keys, columns, tensors) in exception messages, bounded: a file may hold millions of names, and a
/// message that lists them all is megabytes long. At most <see cref="MaxItems"/> items, each cut to
/// <see cref="MaxItemLength"/> characters, then how many more there are.
/// </summary>
internal static class ErrorText
{
    /// <summary>Most items a message lists.</summary>
    public const int MaxItems = 20;

    /// <summary>Longest item a message shows whole; a longer one is cut and ends with "…".</summary>
    public const int MaxItemLength = 80;

    /// <summary><c>a, b, … and N more</c>; with <paramref name="quoted"/>, each item in double quotes.</summary>
    public static string List(IEnumerable<string> items, bool quoted = false)
    {
        var shown = new List<string>(MaxItems);
        long count = 0;
        foreach (string item in items)
        {
            if (count++ < MaxItems)
            {
                shown.Add(quoted ? $"\"{Shorten(item)}\"" : Shorten(item));
            }
        }

        string list = string.Join(", ", shown);
        return count > MaxItems ? $"{list} and {count - MaxItems} more" : list;
    }

    /// <summary><paramref name="item"/> cut to <see cref="MaxItemLength"/> characters.</summary>
    public static string Shorten(string item) => item.Length <= MaxItemLength ? item : item[..MaxItemLength] + "…";
}
