using System.Text.Json;

namespace SentenceMtl.Tests.Packaging;

/// <summary>
/// The README's prune lines survive a libtorch upgrade: a <c>PrunePackageReference</c> prunes every version up to its
/// <c>Version</c>, so the lines give a ceiling far above the libtorch this build uses, not that version. (That they
/// prune is the packaging test's: it restores with these very lines.)
/// </summary>
public sealed class ReadmePruneLinesTests
{
    [Fact]
    public void The_prune_lines_name_the_other_systems_libtorch_with_a_version_ceiling()
    {
        var entries = ReadmePruneLines.Entries();
        var libtorch = LibtorchVersion();

        Assert.Equal(ReadmePruneLines.Lines().Count, entries.Count);                            // every line has the expected shape
        Assert.Equal(["libtorch-cpu-osx-arm64", "libtorch-cpu-win-x64"], entries.Select(e => e.Id));
        Assert.All(entries, e => Assert.True(e.Version.Major >= 100 && e.Version > libtorch,
            $"{e.Id} {e.Version} is not a ceiling above libtorch {libtorch}: an upgrade past it would restore the package again"));
    }

    // The libtorch this test project was restored with (its deps.json lists libtorch-cpu-linux-x64/{version}).
    private static Version LibtorchVersion()
    {
        string deps = Path.Combine(AppContext.BaseDirectory, "SentenceMtl.Training.Tests.deps.json");
        using var json = JsonDocument.Parse(File.ReadAllText(deps));
        string name = json.RootElement.GetProperty("libraries").EnumerateObject()
            .Select(p => p.Name).Single(n => n.StartsWith("libtorch-cpu-linux-x64/", StringComparison.Ordinal));
        return Version.Parse(name[(name.IndexOf('/', StringComparison.Ordinal) + 1)..]);
    }
}
