namespace SentenceMtl.Checkpoints;

/// <summary>
/// Makes saves of one folder take turns, across threads and processes: an exclusive lock on the file <c>{dir}.lock</c>
/// (<see cref="FileShare.None"/>, which .NET maps to <c>flock</c> on Unix, held per open file so two threads of one
/// process exclude each other too). The save that holds the lock deletes the file before it releases it, so no lock
/// file is left beside the folder.
/// </summary>
/// <remarks>
/// Deleting a lock file is safe only with a check on the other side: a save that opened the file just before the
/// holder deleted it gets the lock on a file no longer at the path, while a third save creates and locks a new file
/// there. So a save that gets the lock marks its file with a random modification time (through its handle) and keeps
/// the lock only if the path still shows that time, that is, still names its file; otherwise it lets go and opens the
/// path again. Only the holder deletes the file, and only while the path still shows its mark, so a save never deletes
/// a file it does not hold. On Windows an open with no sharing cannot reach a file another handle holds, so there is no
/// such race: the file is opened with <see cref="FileOptions.DeleteOnClose"/>. (A save by SentenceMtl 0.1.0, which
/// neither checks nor deletes, running at the same moment as a newer one on the same folder, may overlap it.)
/// </remarks>
internal sealed class SaveLock : IDisposable
{
    /// <summary>How long a save waits for another save of the same folder.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private static readonly DateTime MarkEpoch = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private readonly FileStream stream;
    private readonly string path;
    private readonly DateTime mark;

    private SaveLock(FileStream stream, string path, DateTime mark)
    {
        this.stream = stream;
        this.path = path;
        this.mark = mark;
    }

    /// <summary>Waits for the lock and returns it; dispose to delete the lock file and release.</summary>
    /// <exception cref="IOException">Another save held it for longer than five minutes, or the path is a folder; or the
    /// lock file cannot be created at all (read-only file system, disk full, a missing folder: that error, at once).</exception>
    /// <exception cref="UnauthorizedAccessException">The lock file may not be created or opened (at once).</exception>
    public static SaveLock Acquire(string path)
    {
        if (Directory.Exists(path))
        {
            throw new IOException($"Cannot lock '{path}' for saving: it is a folder. Remove it or choose another save folder.");
        }

        var deadline = DateTime.UtcNow + Timeout;
        for (int delay = 1; ; delay = Math.Min(delay * 2, 50))
        {
            FileStream stream;
            try
            {
                stream = Open(path);
            }
            catch (IOException ex) when (HeldByAnother(ex) && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(delay);                                                            // another save holds it
                continue;
            }
            catch (IOException ex) when (HeldByAnother(ex))
            {
                throw new IOException($"Another save of '{path[..^".lock".Length]}' did not finish within {Timeout.TotalMinutes} minutes (lock file '{path}').", ex);
            }

            if (Claim(stream, path) is { } mark)
            {
                return new SaveLock(stream, path, mark);
            }

            stream.Dispose();                                                                   // locked a file a finishing save had deleted: open the path again
        }
    }

    /// <summary>Deletes the lock file if the path still names it, then releases the lock.</summary>
    public void Dispose()
    {
        if (!OperatingSystem.IsWindows())
        {
            try
            {
                if (File.GetLastWriteTimeUtc(path) == mark)
                {
                    File.Delete(path);                                                          // while still held: a waiting save then finds no file or a new one
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The save is complete; a lock file that cannot be deleted only stays, as it always did before.
            }
        }

        stream.Dispose();
    }

    /// <summary>
    /// Whether <paramref name="error"/> says only that another open file holds the lock: on Unix <c>flock</c>'s
    /// EWOULDBLOCK (errno 11 on Linux, 35 on macOS), on Windows a sharing or lock violation. Every other
    /// failure (EROFS, ENOSPC, ENOTDIR, EACCES …) would fail the same way again: it is thrown as it is, not waited on.
    /// </summary>
    internal static bool HeldByAnother(IOException error) => error.GetType() == typeof(IOException) && (OperatingSystem.IsWindows()
        ? error.HResult is unchecked((int)0x80070020) or unchecked((int)0x80070021)
        : error.HResult == (OperatingSystem.IsLinux() ? 11 : 35));

    private static FileStream Open(string path) => OperatingSystem.IsWindows()
        ? new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose)
        : new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);

    /// <summary>
    /// Marks the locked file with a random modification time (2000–2020, whole microseconds) and returns the time as the
    /// file system stored it, or null when the path no longer names the file (its time differs, or it is gone).
    /// </summary>
    private static DateTime? Claim(FileStream stream, string path)
    {
        long span = TimeSpan.TicksPerDay * 365 * 20 / TimeSpan.TicksPerMicrosecond;
        File.SetLastWriteTimeUtc(stream.SafeFileHandle, MarkEpoch.AddTicks(Random.Shared.NextInt64(span) * TimeSpan.TicksPerMicrosecond));
        var stored = File.GetLastWriteTimeUtc(stream.SafeFileHandle);
        return File.GetLastWriteTimeUtc(path) == stored ? stored : null;
    }
}
