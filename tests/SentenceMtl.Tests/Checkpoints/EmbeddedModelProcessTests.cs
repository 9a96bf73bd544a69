using System.Diagnostics;
using System.Globalization;
using SentenceMtl.Checkpoints;

namespace SentenceMtl.Tests.Checkpoints;

/// <summary>
/// An application that references only SentenceMtl.Models.AllMiniLML6V2 (tests/SentenceMtl.EncodeChild), run in a
/// process of its own with a home, cache and hub folders that cannot be created: loading an embedded model by name
/// or hub id reads only the application's own folder, and an unknown name lists what is installed.
/// </summary>
public sealed class EmbeddedModelProcessTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("embedded-process-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static string ChildPath => TestPaths.ChildProgram("SentenceMtl.EncodeChild");

    /// <summary>Runs the child with every writable location it could use placed under a regular file (so creating it
    /// fails, even for root) and the hub offline.</summary>
    private (int ExitCode, string Output, string Error) RunChild(string model)
    {
        Assert.True(File.Exists(ChildPath), ChildPath);
        string blocker = Path.Combine(dir, "a-file");
        File.WriteAllText(blocker, "not a folder");
        var start = new ProcessStartInfo("dotnet", [ChildPath, model]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string variable in new[] { "HOME", "XDG_CACHE_HOME", "SENTENCEMTL_CACHE", "HF_HOME", "HF_HUB_CACHE" })
        {
            start.Environment[variable] = Path.Combine(blocker, variable.ToLowerInvariant());
        }

        start.Environment["HF_HUB_OFFLINE"] = "1";
        using var child = Process.Start(start)!;
        var error = child.StandardError.ReadToEndAsync();
        string output = child.StandardOutput.ReadToEnd();
        Assert.True(child.WaitForExit(TimeSpan.FromMinutes(3)), "the child did not finish");
        return (child.ExitCode, output, error.Result);
    }

    [Theory]
    [InlineData("all-MiniLM-L6-v2")]
    [InlineData("sentence-transformers/all-MiniLM-L6-v2")]
    public void An_embedded_model_loads_by_name_or_hub_id_without_a_writable_home(string model)
    {
        string installed = Path.Combine(Path.GetDirectoryName(ChildPath)!, EmbeddedModelCatalog.FolderName);
        var before = Snapshot(installed);

        var (exitCode, output, error) = RunChild(model);

        Assert.True(exitCode == 0, $"exit {exitCode}\n{output}\n{error}");
        var line = output.Split('\n').Single(l => l.StartsWith("encode:", StringComparison.Ordinal));
        Assert.Contains("length=384 ", line, StringComparison.Ordinal);
        Assert.Equal(1.0, double.Parse(line[(line.IndexOf("norm=", StringComparison.Ordinal) + 5)..], CultureInfo.InvariantCulture), 1e-4);
        Assert.Equal(before, Snapshot(installed));                                              // nothing written beside it
        Assert.Equal(["a-file"], Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void An_unknown_name_lists_the_installed_models()
    {
        var (exitCode, _, error) = RunChild("no-such-model");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("no-such-model: no such model.", error, StringComparison.Ordinal);
        Assert.Contains("an embedded model of that name (available: all-MiniLM-L6-v2)", error, StringComparison.Ordinal);
    }

    private static List<string> Snapshot(string folder) =>
        [.. Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => $"{f} {new FileInfo(f).Length} {File.GetLastWriteTimeUtc(f).Ticks}")];
}
