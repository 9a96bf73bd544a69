using System.Diagnostics;
using SentenceMtl.Checkpoints;

namespace SentenceMtl.Tests.Checkpoints;

/// <summary>
/// A save waits only for another save's lock; a lock file that cannot be created fails at once with its cause; the
/// holder deletes the lock file, and never one that is not its own.
/// </summary>
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

        Assert.True(File.Exists(path));                                                         // the waiter holds a file at the path again
    }

    [Fact]
    public void Releasing_the_lock_deletes_the_lock_file_also_one_left_by_an_older_save()
    {
        string path = Path.Combine(folder.Path, "model.lock");
        File.WriteAllText(path, "");                                                            // as SentenceMtl 0.1.0 left it
        var held = SaveLock.Acquire(path);
        Assert.True(File.Exists(path));

        held.Dispose();

        Assert.False(File.Exists(path));
    }

    [Fact]
    public void A_holder_whose_file_was_replaced_deletes_nothing()
    {
        string path = Path.Combine(folder.Path, "model.lock");
        var held = SaveLock.Acquire(path);
        File.Delete(path);                                                                      // someone else's file now stands at the path
        File.WriteAllText(path, "not ours");

        held.Dispose();

        Assert.Equal("not ours", File.ReadAllText(path));
    }

    [Fact]
    public void Threads_that_lock_and_delete_the_file_in_turn_never_hold_it_together()
    {
        // Each release deletes the file while a waiter may have it open: without the check that the path still names
        // the file locked, that waiter and a third thread would both hold "the" lock.
        string path = Path.Combine(folder.Path, "model.lock");
        int inside = 0, overlaps = 0, turns = 0;
        var threads = Enumerable.Range(0, 6).Select(_ => new Thread(() =>
        {
            for (int i = 0; i < 150; i++)
            {
                using var held = SaveLock.Acquire(path);
                if (Interlocked.Increment(ref inside) > 1)
                {
                    Interlocked.Increment(ref overlaps);
                }

                Thread.SpinWait(200);
                Interlocked.Decrement(ref inside);
                Interlocked.Increment(ref turns);
            }
        })).ToArray();
        Array.ForEach(threads, t => t.Start());
        Array.ForEach(threads, t => t.Join());

        Assert.Equal(0, overlaps);
        Assert.Equal(900, turns);
        Assert.False(File.Exists(path));
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
