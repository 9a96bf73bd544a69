using System.Runtime.InteropServices;
using SentenceMtl.Native;

namespace SentenceMtl.Tests.Native;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed partial class GlibcxxRequirementTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("sentencemtl-glibcxx");

    public void Dispose()
    {
        foreach (var entry in dir.EnumerateFileSystemInfos("*", SearchOption.AllDirectories).Prepend(dir))
        {
            entry.UnixFileMode |= UnixFileMode.UserWrite | UnixFileMode.UserRead | UnixFileMode.UserExecute;
        }

        dir.Delete(recursive: true);
    }

    [Fact]
    public void Weakening_keeps_the_file_mode_and_last_write_time_so_incremental_builds_do_not_copy_again()
    {
        string copy = StrongCopy(dir.FullName);
        File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead);
        var lastWrite = new DateTime(2026, 5, 7, 10, 3, 28, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(copy, lastWrite);

        Assert.Contains("marked", GlibcxxRequirement.Weaken(copy), StringComparison.Ordinal);

        Assert.False(GlibcxxRequirement.IsStrong(copy));
        Assert.Equal(lastWrite, File.GetLastWriteTimeUtc(copy));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead,
            File.GetUnixFileMode(copy));
        Assert.Single(Directory.GetFiles(dir.FullName));
    }

    [Fact]
    public void Weakening_replaces_a_hard_link_instead_of_writing_through_it()
    {
        string original = StrongCopy(dir.FullName);
        string link = Path.Combine(Directory.CreateDirectory(Path.Combine(dir.FullName, "out")).FullName, "libLibTorchSharp.so");
        Assert.Equal(0, Link(original, link));
        byte[] before = File.ReadAllBytes(original);

        GlibcxxRequirement.Weaken(link);

        Assert.Equal(before, File.ReadAllBytes(original));
        Assert.True(GlibcxxRequirement.IsStrong(original));
        Assert.False(GlibcxxRequirement.IsStrong(link));
    }

    [Fact]
    public void A_weak_copy_in_a_read_only_folder_is_only_read()
    {
        string copy = StrongCopy(dir.FullName);
        GlibcxxRequirement.Weaken(copy);
        var folder = new DirectoryInfo(dir.FullName);
        folder.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserExecute;
        File.SetUnixFileMode(copy, UnixFileMode.UserRead);
        var folderWrite = folder.LastWriteTimeUtc;
        var fileWrite = File.GetLastWriteTimeUtc(copy);
        byte[] before = File.ReadAllBytes(copy);

        // Root may write anyway; what shows nothing was written is that no time, no byte and no entry changed.
        Assert.Contains("nothing to do", GlibcxxRequirement.Weaken(copy), StringComparison.Ordinal);
        Assert.Contains("nothing to do", TorchSharpNative.PatchFile(copy), StringComparison.Ordinal);

        Assert.Equal(folderWrite, new DirectoryInfo(dir.FullName).LastWriteTimeUtc);
        Assert.Equal(fileWrite, File.GetLastWriteTimeUtc(copy));
        Assert.Equal(before, File.ReadAllBytes(copy));
        Assert.Single(Directory.GetFiles(dir.FullName));
    }

    [Fact]
    public void A_copy_inside_a_NuGet_package_folder_is_refused_and_left_as_it_was()
    {
        string package = Directory.CreateDirectory(Path.Combine(dir.FullName, "torchsharp", "0.107.0")).FullName;
        File.WriteAllText(Path.Combine(package, ".nupkg.metadata"), "{}");
        string native = Directory.CreateDirectory(Path.Combine(package, "runtimes", "linux-x64", "native")).FullName;
        string copy = StrongCopy(native);
        byte[] before = File.ReadAllBytes(copy);

        var error = Assert.Throws<InvalidOperationException>(() => GlibcxxRequirement.Weaken(copy));

        Assert.Contains("NuGet package cache", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(copy));
    }

    [Fact]
    public void A_file_that_is_not_ELF_is_reported_by_name()
    {
        string file = Path.Combine(dir.FullName, "libLibTorchSharp.so");
        File.WriteAllText(file, "not a library");

        var error = Assert.Throws<ModelFormatException>(() => GlibcxxRequirement.Weaken(file));

        Assert.Equal(file, error.FilePath);
        Assert.Equal("not a library", File.ReadAllText(file));
    }

    // A copy of the app's native library with the requirement strong, as TorchSharp's package ships it.
    private static string StrongCopy(string folder)
    {
        var library = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        var image = ElfImage.Read(library);
        var requirement = image.RequiredVersions().Single(r => r.Version == GlibcxxRequirement.Version);
        image.SetRequirementFlags(requirement, (ushort)(requirement.Flags & ~ElfImage.VerFlagWeak));
        string copy = Path.Combine(folder, "libLibTorchSharp.so");
        File.WriteAllBytes(copy, image.Bytes);
        Assert.True(GlibcxxRequirement.IsStrong(copy));
        return copy;
    }

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existing, string newPath);
}
