using System.Text.RegularExpressions;

namespace SentenceMtl.Tests.Packaging;

/// <summary>The README's <c>PrunePackageReference</c> lines, which the packaging test restores with as they are written.</summary>
internal static partial class ReadmePruneLines
{
    /// <summary>Each line, trimmed, in README order.</summary>
    public static IReadOnlyList<string> Lines() =>
        [.. File.ReadAllLines(Path.Combine(TestPaths.RepoRoot, "README.md")).Select(l => l.Trim()).Where(l => l.StartsWith("<PrunePackageReference ", StringComparison.Ordinal))];

    /// <summary>The package id and the version of each line.</summary>
    public static IReadOnlyList<(string Id, Version Version)> Entries() =>
        [.. Lines().Select(line => PruneLine().Match(line)).Select(m => (m.Groups[1].Value, Version.Parse(m.Groups[2].Value)))];

    [GeneratedRegex("""^<PrunePackageReference Include="([^"]+)" Version="([0-9.]+)" />$""")]
    private static partial Regex PruneLine();
}
