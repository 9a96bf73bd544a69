namespace SentenceMtl.Checkpoints;

/// <summary>
/// Replaces a directory as a whole: the new contents are written into a sibling <c>{dir}.partial-{guid}</c>, then
/// the old directory is renamed to <c>{dir}.previous</c>, the new one renamed into place, and the previous one
/// deleted. At every instant either <c>{dir}</c> or <c>{dir}.previous</c> is complete, so a crash mid-save leaves
/// the previous save loadable (<see cref="Resolve"/> finds it).
/// </summary>
internal static class AtomicDirectory
{
    private const string PreviousSuffix = ".previous";
    private const string PartialMarker = ".partial-";

    /// <summary>Writes a new version of <paramref name="directory"/> with <paramref name="write"/> (given the folder to fill).</summary>
    public static void Replace(string directory, Action<string> write)
    {
        string target = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        string parent = Path.GetDirectoryName(target) ?? throw new ArgumentException("Cannot save to a root directory.", nameof(directory));
        Directory.CreateDirectory(parent);
        foreach (string stale in Directory.GetDirectories(parent, Path.GetFileName(target) + PartialMarker + "*"))
        {
            Directory.Delete(stale, recursive: true);
        }

        string partial = target + PartialMarker + Guid.NewGuid().ToString("N");
        Directory.CreateDirectory(partial);
        try
        {
            write(partial);
        }
        catch
        {
            Directory.Delete(partial, recursive: true);
            throw;
        }

        string previous = target + PreviousSuffix;
        if (Directory.Exists(target))
        {
            if (Directory.Exists(previous))
            {
                Directory.Delete(previous, recursive: true);
            }

            Directory.Move(target, previous);
        }

        Directory.Move(partial, target);
        if (Directory.Exists(previous))
        {
            Directory.Delete(previous, recursive: true);
        }
    }

    /// <summary><paramref name="directory"/> if it exists, else its complete previous version if a save was interrupted, else null.</summary>
    public static string? Resolve(string directory)
    {
        string target = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        return Directory.Exists(target) ? target : Directory.Exists(target + PreviousSuffix) ? target + PreviousSuffix : null;
    }

    /// <summary>Writes <paramref name="contents"/> to <paramref name="path"/> and flushes it to disk.</summary>
    public static void WriteFile(string path, string contents)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false));
        writer.Write(contents);
        writer.Flush();
        stream.Flush(flushToDisk: true);
    }
}
