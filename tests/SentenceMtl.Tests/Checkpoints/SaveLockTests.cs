using System.Diagnostics;
using SentenceMtl.Checkpoints;

namespace SentenceMtl.Tests.Checkpoints;

/// <summary>A save waits only for another save's lock; a lock file that cannot be created fails at once with its cause.</summary>
public sealed class SaveLockTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task A_lock_held_by_another_save_is_waited_for()
    {
        string path = Path.Combine(folder.Path, "model.lock");
        var held = SaveLock.Acquire(path);

        var waiting = Task.Run(() => SaveLock.Acquire(path));
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted);
        held.Dispose();
        using var acquired = await waiting.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(acquired.CanWrite);
    }

    [Fact]
    public void A_lock_file_that_cannot_be_created_fails_at_once_with_its_cause()
    {
        // The "folder" the save would go in is a file: ENOTDIR, which no wait would cure.
        string file = Path.Combine(folder.Path, "a-file");
        File.WriteAllText(file, "not a folder");
        var clock = Stopwatch.StartNew();

        var error = Assert.ThrowsAny<IOException>(() => SaveLock.Acquire(Path.Combine(file, "model.lock")));

        Assert.IsType<DirectoryNotFoundException>(error);
        Assert.Contains("a-file", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("did not finish", error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"failed only after {clock.Elapsed}");
    }

    [Fact]
    public void Only_the_lock_held_error_counts_as_another_save()
    {
        string path = Path.Combine(folder.Path, "held.lock");
        using var held = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        var busy = Assert.ThrowsAny<IOException>(() => new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));

        Assert.True(SaveLock.HeldByAnother(busy), $"0x{busy.HResult:X8} {busy.Message}");
        Assert.False(SaveLock.HeldByAnother(new IOException("Read-only file system", 30)));
        Assert.False(SaveLock.HeldByAnother(new IOException("No space left on device", 28)));
        Assert.False(SaveLock.HeldByAnother(new DirectoryNotFoundException("missing")));
    }
}
