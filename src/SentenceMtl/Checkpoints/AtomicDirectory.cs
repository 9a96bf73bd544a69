namespace SentenceMtl.Checkpoints;

/// <summary>
/// Replaces a saved folder as a whole, and reads one consistently while another thread or process may be saving it.
/// </summary>
/// <remarks>
/// A save writes into a sibling <c>{dir}.partial-{guid}</c> and lists what it wrote in a <see cref="SaveManifest"/>
/// (written last); then the old folder is renamed to <c>{dir}.previous</c>, the new one renamed into place, and the
/// previous one renamed to a partial name and deleted. At every instant either <c>{dir}</c> or <c>{dir}.previous</c> is complete, so a crash
/// mid-save leaves the previous save loadable (<see cref="Resolve"/> finds it). Only a folder that is missing, empty
/// or holds exactly what an earlier save listed is ever replaced: anything else is refused before a byte is written.
/// Saves of one folder take turns through an exclusive lock on the file <c>{dir}.lock</c> (deleted when the save ends,
/// see <see cref="SaveLock"/>); readers take no lock but compare the manifest's generation before and after reading
/// (<see cref="ReadConsistent{T}"/>).
/// </remarks>
internal static class AtomicDirectory
{
    private const string PreviousSuffix = ".previous";
    private const string PartialMarker = ".partial-";
    private const int MaxReadAttempts = 20;

    /// <summary>Writes a new version of <paramref name="directory"/> with <paramref name="write"/> (given the folder to fill).</summary>
    /// <exception cref="IOException">
    /// <paramref name="directory"/> is a file, the current directory (or holds it), or a folder that is neither empty
    /// nor a save (the message names it and what in it was not written by a save); or another save of it did not end in time.
    /// </exception>
    public static void Replace(string directory, Action<string> write)
    {
        string target = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        string parent = Path.GetDirectoryName(target) ?? throw new ArgumentException("Cannot save to a root directory.", nameof(directory));
        CheckNotWorkingDirectory(target);
        string previous = target + PreviousSuffix;
        CheckReplaceable(target, target);                                                        // before the lock: a refused save creates nothing
        CheckReplaceable(previous, target);
        Directory.CreateDirectory(parent);
        using var saveLock = SaveLock.Acquire(target + ".lock");
        CheckReplaceable(target, target);                                                        // again: another save may have finished meanwhile
        CheckReplaceable(previous, target);
        foreach (string stale in Directory.GetDirectories(parent, Path.GetFileName(target) + PartialMarker + "*"))
        {
            if (IsPartialName(Path.GetFileName(stale), Path.GetFileName(target)))
            {
                Directory.Delete(stale, recursive: true);                                        // left by a crashed save (saves take turns)
            }
        }

        string partial = target + PartialMarker + Guid.NewGuid().ToString("N");
        Directory.CreateDirectory(partial);
        try
        {
            write(partial);
            SaveManifest.Write(partial);
            if (Directory.Exists(target))
            {
                if (Directory.Exists(previous))
                {
                    Discard(previous, target);
                }

                Directory.Move(target, previous);
            }

            Directory.Move(partial, target);
        }
        finally
        {
            if (Directory.Exists(partial))
            {
                Directory.Delete(partial, recursive: true);                                      // a failed save leaves no copy behind
            }
        }

        if (Directory.Exists(previous))
        {
            Discard(previous, target);
        }
    }

    /// <summary>
    /// Deletes a complete save by renaming it to a partial name first: a crash mid-delete then leaves a partial folder
    /// (removed by the next save), never a half-deleted <c>.previous</c> that <see cref="Resolve"/> would pick.
    /// </summary>
    private static void Discard(string folder, string target)
    {
        string trash = target + PartialMarker + Guid.NewGuid().ToString("N");
        Directory.Move(folder, trash);
        Directory.Delete(trash, recursive: true);
    }

    /// <summary><paramref name="directory"/> if it exists, else its complete previous version if a save was interrupted, else null.</summary>
    public static string? Resolve(string directory)
    {
        string target = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        for (int pass = 0; pass < 2; pass++)                                                    // a save may move both between the two checks
        {
            if (Directory.Exists(target))
            {
                return target;
            }

            if (Directory.Exists(target + PreviousSuffix))
            {
                return target + PreviousSuffix;
            }
        }

        return null;
    }

    /// <summary>
    /// Loads with <paramref name="load"/> (given <see cref="Resolve"/>'s folder, or null) and returns the result only when
    /// no save replaced the folder meanwhile (same manifest generation before and after, the folder still there);
    /// otherwise disposes it and reads again. A load that fails while a save replaced the folder is retried too; one that
    /// fails on an unchanged folder rethrows. A folder without a manifest (not written by a save) is read as it is, but a
    /// manifest found missing because a save was moving the folder at that moment counts as a replacement.
    /// </summary>
    public static T ReadConsistent<T>(string directory, Func<string?, T> load)
        where T : class, IDisposable
    {
        for (int attempt = 1; ; attempt++)
        {
            string? folder = Resolve(directory);
            string? generation = folder is null ? null : SaveManifest.ReadGeneration(folder);
            T result;
            try
            {
                result = load(folder);
            }
            catch (Exception ex) when (attempt < MaxReadAttempts && IsReadRace(ex) && Replaced(directory, folder, generation))
            {
                Thread.Sleep(attempt);
                continue;
            }

            if (!Replaced(directory, folder, generation))
            {
                return result;
            }

            result.Dispose();
            if (attempt == MaxReadAttempts)
            {
                throw new IOException($"'{directory}' was replaced by another save {attempt} times while it was being read; try again.");
            }
        }
    }

    /// <summary>
    /// Whether a save changed what <paramref name="directory"/> resolves to since <paramref name="folder"/> and its manifest
    /// <paramref name="generation"/> were seen: a folder appeared where there was none, the folder seen is gone (moved aside
    /// by a save), or its manifest's generation differs (null for a folder no save wrote, which stays null).
    /// </summary>
    private static bool Replaced(string directory, string? folder, string? generation) =>
        folder is null
            ? Resolve(directory) is not null
            : !Directory.Exists(folder) || SaveManifest.ReadGeneration(folder) != generation;

    /// <summary>Writes <paramref name="contents"/> to <paramref name="path"/> and flushes it to disk.</summary>
    public static void WriteFile(string path, string contents)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false));
        writer.Write(contents);
        writer.Flush();
        stream.Flush(flushToDisk: true);
    }

    private static bool IsReadRace(Exception ex) => ex is IOException or UnauthorizedAccessException or ModelFormatException;

    private static bool IsPartialName(string name, string targetName) =>
        name.Length == targetName.Length + PartialMarker.Length + 32
        && !name.AsSpan(targetName.Length + PartialMarker.Length).ContainsAnyExcept("0123456789abcdef");

    private static void CheckNotWorkingDirectory(string target)
    {
        string current = Path.GetFullPath(Environment.CurrentDirectory).TrimEnd(Path.DirectorySeparatorChar);
        if (current == target || current.StartsWith(target + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new IOException($"Cannot save into '{target}': it is the current directory or contains it, and a save replaces its folder as a whole. Choose a new or empty folder.");
        }
    }

    /// <summary>Throws unless <paramref name="path"/> is missing, an empty folder, or a folder holding exactly what a save wrote.</summary>
    private static void CheckReplaceable(string path, string target)
    {
        if (File.Exists(path) || (Directory.Exists(path) && new DirectoryInfo(path).LinkTarget is not null))
        {
            throw new IOException($"Cannot save to '{target}': '{path}' is a file or a link, not a folder. Choose a new or empty folder.");
        }

        if (!Directory.Exists(path))
        {
            return;
        }

        var foreign = SaveManifest.ForeignEntries(path);
        if (foreign.Count > 0)
        {
            string listed = string.Join(", ", foreign.Take(5)) + (foreign.Count > 5 ? $" and {foreign.Count - 5} more" : "");
            throw new IOException(
                $"Cannot save to '{target}': '{path}' holds files that a save did not write ({listed}), and a save replaces the folder as a whole. " +
                $"Choose a new or empty folder (a folder written by Save holds {SaveManifest.FileName} and nothing else besides what it lists).");
        }
    }
}
