namespace SentenceMtl.Checkpoints;

/// <summary>
/// "Did you mean": the existing name closest to a mistyped model name, hub id or folder, by edit distance (optimal
/// string alignment: insertions, deletions, substitutions and swaps of neighbours, ignoring case). A candidate is
/// suggested only when it is at most a quarter of the name's length away (at least 2 edits), so an unrelated name is
/// never offered. Bounded: at most <see cref="MaxCandidates"/> candidates, each compared only when both strings are at
/// most <see cref="MaxLength"/> characters.
/// </summary>
internal static class ModelSuggestions
{
    /// <summary>Most candidates compared (a folder may have many siblings).</summary>
    public const int MaxCandidates = 1000;

    /// <summary>Longest string compared.</summary>
    public const int MaxLength = 256;

    /// <summary>The candidate closest to <paramref name="wanted"/> within the threshold, or null; the first of equals wins.</summary>
    public static string? Closest(string wanted, IEnumerable<string> candidates)
    {
        if (wanted.Length > MaxLength)
        {
            return null;
        }

        int threshold = Math.Max(2, wanted.Length / 4);
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in candidates.Take(MaxCandidates))
        {
            if (candidate.Length > MaxLength || string.Equals(candidate, wanted, StringComparison.Ordinal))
            {
                continue;
            }

            int distance = Distance(wanted.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance <= threshold && distance < bestDistance)
            {
                (best, bestDistance) = (candidate, distance);
            }
        }

        return best;
    }

    /// <summary>The sibling of the folder <paramref name="path"/> names whose name is closest to its own, written the way
    /// <paramref name="path"/> is (same prefix), or null.</summary>
    public static string? SiblingFolder(string path)
    {
        string trimmed = path.TrimEnd('/', '\\');
        string name = Path.GetFileName(trimmed);
        string? parent = Path.GetDirectoryName(Path.GetFullPath(trimmed));
        if (name.Length == 0 || parent is null || !Directory.Exists(parent))
        {
            return null;
        }

        try
        {
            var siblings = Directory.EnumerateDirectories(parent).Take(MaxCandidates).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);
            return Closest(name, siblings) is { } sibling ? trimmed[..^name.Length] + sibling : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;                                                                        // a suggestion is a courtesy, never a new failure
        }
    }

    /// <summary>" Did you mean 'x'?", or "" without a suggestion.</summary>
    public static string Sentence(string? suggestion) => suggestion is null ? "" : $" Did you mean '{suggestion}'?";

    /// <summary>The optimal-string-alignment distance of two strings (each at most <see cref="MaxLength"/> characters).</summary>
    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (int j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
