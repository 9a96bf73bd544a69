using System.Text.Json;

namespace SentenceMtl.Server.Hosting;

/// <summary>
/// The names under which the loaded model is served: <see cref="Primary"/> (listed by <c>/v1/models</c> and returned in
/// responses) and the other names a request's <c>model</c> may give, compared ignoring case.
/// </summary>
internal sealed class ServedModelNames
{
    /// <summary>The embedded models' descriptors are a few hundred bytes; a larger file is not one and is ignored.</summary>
    private const long MaxDescriptorBytes = 64 * 1024;

    private readonly HashSet<string> accepted;

    private ServedModelNames(string primary, IEnumerable<string> aliases)
    {
        Primary = primary;
        accepted = new HashSet<string>(aliases.Append(primary), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The name the model is served as.</summary>
    public string Primary { get; }

    /// <summary>Whether <paramref name="name"/> names the loaded model.</summary>
    public bool Accepts(string name) => accepted.Contains(name);

    /// <summary>
    /// The configured name if any, else the model's: its id, or for a folder its last segment; an embedded model also
    /// answers to its hub id (the <c>aliases</c> of its <c>sentencemtl_model.json</c>).
    /// </summary>
    public static ServedModelNames For(SentenceEncoder encoder, string? configured)
    {
        string id = encoder.ModelId;
        string folderName = Path.GetFileName(Path.TrimEndingDirectorySeparator(id));
        string primary = configured ?? (Directory.Exists(id) ? folderName : id);
        return new ServedModelNames(primary, [id, folderName, .. EmbeddedAliases(folderName)]);
    }

    /// <summary>The hub ids that the embedded model called <paramref name="name"/> lists, if it is one.</summary>
    private static IEnumerable<string> EmbeddedAliases(string name)
    {
        // Only a plain folder name under sentencemtl-models/ is looked up: the read stays inside that folder.
        if (name is "" or "." or ".." || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
        {
            return [];
        }

        var file = new FileInfo(Path.Combine(AppContext.BaseDirectory, "sentencemtl-models", name, "sentencemtl_model.json"));
        if (!file.Exists || file.Length > MaxDescriptorBytes)
        {
            return [];
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file.FullName));
            return document.RootElement.TryGetProperty("aliases", out var aliases) && aliases.ValueKind == JsonValueKind.Array
                ? aliases.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.String).Select(a => a.GetString()!).ToArray()
                : [];
        }
        catch (JsonException)
        {
            return [];
        }
    }
}
