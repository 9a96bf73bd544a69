using System.Diagnostics;

namespace SentenceMtl.Tests.Checkpoints;

/// <summary>
/// A save onto a real read-only file system, or onto a full one, fails at once with the system's own reason, and
/// leaves nothing half-written: each test mounts a small tmpfs of its own (root only; skipped elsewhere).
/// </summary>
public sealed class SaveOnFullOrReadOnlyDiskTests : IDisposable
{
    private readonly TempFolder folder = TinyModel.Create();
    private readonly string mountPoint = Directory.CreateTempSubdirectory("sentencemtl-mount").FullName;
    private bool mounted;

    public void Dispose()
    {
        if (mounted)
        {
            Run("umount", mountPoint);
        }

        Directory.Delete(mountPoint, recursive: true);
        folder.Dispose();
    }

    [SkippableFact]
    public void A_save_onto_a_read_only_file_system_fails_at_once_naming_it()
    {
        Mount("ro,size=1m");
        using var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment()).WithRandomHeads();

        var clock = Stopwatch.StartNew();
        var error = Assert.ThrowsAny<IOException>(() => model.Save(Path.Combine(mountPoint, "saved")));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Contains("Read-only file system", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(mountPoint));
    }

    [SkippableFact]
    public void A_save_onto_a_full_disk_fails_at_once_and_leaves_no_partial_folder()
    {
        Mount("size=64k");                                                                      // the tiny model's weights alone are larger
        using var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment()).WithRandomHeads();

        var clock = Stopwatch.StartNew();
        var error = Assert.ThrowsAny<IOException>(() => model.Save(Path.Combine(mountPoint, "saved")));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Contains("No space left on device", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(mountPoint, "saved")), "a partial save was left under the folder's name");
        Assert.DoesNotContain(Directory.GetFileSystemEntries(mountPoint), e => Directory.Exists(e));   // no staging folder either
    }

    private void Mount(string options)
    {
        Skip.IfNot(OperatingSystem.IsLinux() && Environment.UserName == "root", "mounting a tmpfs needs root on Linux");
        Skip.IfNot(Run("mount", "-t", "tmpfs", "-o", options, "tmpfs", mountPoint) == 0, "mount(8) refused a tmpfs here");
        mounted = true;
    }

    private static int Run(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        process.WaitForExit();
        return process.ExitCode;
    }
}
