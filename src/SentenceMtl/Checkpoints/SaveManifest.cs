using System.Text.Json;
using System.Text.Json.Serialization;
using SentenceMtl.Serialization;

namespace SentenceMtl.Checkpoints;

/// <summary>
/// The file a save writes last into its folder (<see cref="FileName"/>): every file and folder the save wrote, and a
/// generation id that is new for every save. A folder is replaced by a later save only when everything in it is
/// listed here (so nothing a save did not write is ever deleted); a reader compares the generation before and after
/// reading to notice that a save replaced the folder meanwhile.
/// </summary>
internal static class SaveManifest
{
    /// <summary>The manifest's name inside a saved folder.</summary>
    public const string FileName = "sentencemtl_manifest.json";

    private const string Format = "sentencemtl-save";
    private const long MaxBytes = 1 << 20;                                                     // a save lists a dozen entries

    /// <summary>Lists everything in <paramref name="folder"/> (as written by a save) and writes the manifest, flushed.</summary>
    public static void Write(string folder)
    {
        var manifest = new Manifest { Format = Format, Generation = Guid.NewGuid().ToString("N"), Entries = Entries(folder) };
        AtomicDirectory.WriteFile(Path.Combine(folder, FileName), JsonSerializer.Serialize(manifest, CoreJson.Default.Manifest));
    }

    /// <summary>The generation id of the save in <paramref name="folder"/>, or null when it holds no readable manifest.</summary>
    public static string? ReadGeneration(string folder) => Read(folder)?.Generation;

    /// <summary>
    /// What in <paramref name="folder"/> a save did not write (relative paths, folders ending in '/'): everything when
    /// the folder has no manifest, nothing when it is empty or holds exactly a save's files.
    /// </summary>
    public static List<string> ForeignEntries(string folder)
    {
        List<string> entries;
        try
        {
            entries = Entries(folder);
        }
        catch (DirectoryNotFoundException)
        {
            return [];                                                                          // moved or deleted meanwhile by another save
        }

        var listed = Read(folder)?.Entries.ToHashSet(StringComparer.Ordinal) ?? [];
        return entries.Where(e => e != FileName && !listed.Contains(e)).ToList();
    }

    private static Manifest? Read(string folder)
    {
        try
        {
            var info = new FileInfo(Path.Combine(folder, FileName));
            if (!info.Exists || info.Length > MaxBytes || info.LinkTarget is not null)
            {
                return null;
            }

            var manifest = JsonSerializer.Deserialize(File.ReadAllText(info.FullName), CoreJson.Default.Manifest);
            return manifest is { Format: Format, Generation.Length: > 0 } ? manifest with { Entries = manifest.Entries ?? [] } : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;                                                                        // gone (replaced by a save) or not ours
        }
    }

    /// <summary>Every file and folder under <paramref name="folder"/>, relative, '/'-separated, folders with a trailing '/', sorted.</summary>
    private static List<string> Entries(string folder)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false };
        return new DirectoryInfo(folder).EnumerateFileSystemInfos("*", options)
            .Select(e => Path.GetRelativePath(folder, e.FullName).Replace(Path.DirectorySeparatorChar, '/')
                + (e is DirectoryInfo && e.LinkTarget is null ? "/" : ""))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    internal sealed record Manifest
    {
        [JsonPropertyName("format")] public string Format { get; init; } = "";
        [JsonPropertyName("generation")] public string Generation { get; init; } = "";
        [JsonPropertyName("entries")] public List<string> Entries { get; init; } = [];
    }
}
