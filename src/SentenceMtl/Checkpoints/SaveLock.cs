namespace SentenceMtl.Checkpoints;

/// <summary>
/// Makes saves of one folder take turns, across threads and processes: an exclusive lock on the file
/// <c>{dir}.lock</c> (<see cref="FileShare.None"/>, which .NET maps to <c>flock</c> on Unix, held per open file so two
/// threads of one process exclude each other too). The file stays beside the folder: deleting it on release would let
/// a waiting save lock the deleted file while a third one locks a new file of the same name.
/// </summary>
internal static class SaveLock
{
    /// <summary>How long a save waits for another save of the same folder.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    /// <summary>Waits for the lock and returns it; dispose to release.</summary>
    /// <exception cref="IOException">Another save held it for longer than five minutes, or the path is a folder; or the
    /// lock file cannot be created at all (read-only file system, disk full, a missing folder: that error, at once).</exception>
    /// <exception cref="UnauthorizedAccessException">The lock file may not be created or opened (at once).</exception>
    public static FileStream Acquire(string path)
    {
        if (Directory.Exists(path))
        {
            throw new IOException($"Cannot lock '{path}' for saving: it is a folder. Remove it or choose another save folder.");
        }

        var deadline = DateTime.UtcNow + Timeout;
        for (int delay = 1; ; delay = Math.Min(delay * 2, 50))
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException ex) when (HeldByAnother(ex) && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(delay);                                                            // another save holds it
            }
            catch (IOException ex) when (HeldByAnother(ex))
            {
                throw new IOException($"Another save of '{path[..^".lock".Length]}' did not finish within {Timeout.TotalMinutes} minutes (lock file '{path}').", ex);
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="error"/> says only that another open file holds the lock: on Unix <c>flock</c>'s
    /// EWOULDBLOCK (errno 11 on Linux, 35 on macOS), on Windows a sharing or lock violation. Every other
    /// failure (EROFS, ENOSPC, ENOTDIR, EACCES …) would fail the same way again: it is thrown as it is, not waited on.
    /// </summary>
    internal static bool HeldByAnother(IOException error) => error.GetType() == typeof(IOException) && (OperatingSystem.IsWindows()
        ? error.HResult is unchecked((int)0x80070020) or unchecked((int)0x80070021)
        : error.HResult == (OperatingSystem.IsLinux() ? 11 : 35));
}
