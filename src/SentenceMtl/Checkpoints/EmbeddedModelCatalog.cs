using System.Text.Json;

namespace SentenceMtl.Checkpoints;

/// <summary>
/// The models installed beside the application by the <c>SentenceMtl.Models.*</c> packages: standard
/// sentence-transformers folders under <c>AppContext.BaseDirectory/sentencemtl-models/{name}/</c>, each with a
/// <c>sentencemtl_model.json</c> that gives the model's aliases (its hub id). They load through
/// <see cref="HuggingFaceFolder"/> like any other folder: nothing is converted or cached at run time, so a read-only
/// application folder works.
/// </summary>
internal static class EmbeddedModelCatalog
{
    /// <summary>The folder beside the application that holds the model folders.</summary>
    public const string FolderName = "sentencemtl-models";

    /// <summary>The file that marks a model folder and lists its aliases.</summary>
    public const string DescriptorFileName = "sentencemtl_model.json";

    /// <summary>Descriptors are a few hundred bytes; anything larger is not one.</summary>
    private const long MaxDescriptorBytes = 64 * 1024;

    private static readonly Lazy<Catalog> Installed = new(() => Discover(Path.Combine(AppContext.BaseDirectory, FolderName)));

    /// <summary>Names of the models installed beside this application, sorted.</summary>
    /// <exception cref="ModelFormatException">A model folder's descriptor is damaged.</exception>
    public static IReadOnlyList<string> Names => Installed.Value.Names;

    /// <summary>Names and aliases of the models installed beside this application (for "did you mean").</summary>
    public static IEnumerable<string> NamesAndAliases => Installed.Value.Names.Concat(Installed.Value.Folders.Keys).Distinct(StringComparer.Ordinal);

    /// <summary>The installed model called <paramref name="name"/> (or one of its aliases, any case), or null.</summary>
    /// <exception cref="ModelFormatException">A model folder's descriptor, or the model folder itself, is damaged.</exception>
    public static ModelSource? TryGet(string name) => TryGet(name, Installed.Value);

    /// <summary>The model called <paramref name="name"/> among the model folders under <paramref name="root"/>, or null.</summary>
    internal static ModelSource? TryGet(string name, string root) => TryGet(name, Discover(root));

    /// <summary>Names of the models under <paramref name="root"/>, sorted.</summary>
    internal static IReadOnlyList<string> NamesIn(string root) => Discover(root).Names;

    private static ModelSource? TryGet(string name, Catalog catalog) =>
        catalog.Folders.TryGetValue(name, out var entry) ? HuggingFaceFolder.Read(entry.Folder, entry.Name) : null;

    /// <summary>Every subfolder of <paramref name="root"/> that holds a descriptor, by its name (the folder's name) and aliases.</summary>
    private static Catalog Discover(string root)
    {
        var folders = new Dictionary<string, (string Name, string Folder)>(StringComparer.OrdinalIgnoreCase);
        if (!Directory.Exists(root))
        {
            return new Catalog(folders, []);
        }

        var names = new List<string>();
        foreach (string folder in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
        {
            string descriptor = Path.Combine(folder, DescriptorFileName);
            if (!File.Exists(descriptor))
            {
                continue;
            }

            string name = Path.GetFileName(folder);
            names.Add(name);
            folders[name] = (name, folder);
            foreach (string alias in ReadAliases(descriptor))
            {
                folders.TryAdd(alias, (name, folder));
            }
        }

        return new Catalog(folders, names);
    }

    /// <summary>The <c>aliases</c> array of a descriptor (other fields are informational).</summary>
    private static IReadOnlyList<string> ReadAliases(string path)
    {
        if (new FileInfo(path).Length > MaxDescriptorBytes)
        {
            throw new ModelFormatException(path, $"larger than {MaxDescriptorBytes} bytes, so not a model descriptor; reinstall the SentenceMtl.Models.* package that wrote it.");
        }

        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ModelFormatException(path, "expected a JSON object with an 'aliases' array; reinstall the SentenceMtl.Models.* package that wrote it.");
            }

            if (!doc.RootElement.TryGetProperty("aliases", out var aliases))
            {
                return [];
            }

            return aliases.ValueKind == JsonValueKind.Array && aliases.EnumerateArray().All(a => a.ValueKind == JsonValueKind.String)
                ? [.. aliases.EnumerateArray().Select(a => a.GetString()!).Where(a => a.Length > 0)]
                : throw new ModelFormatException(path, "'aliases' must be an array of strings.");
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException(path, $"invalid JSON ({ex.Message}); reinstall the SentenceMtl.Models.* package that wrote it.", ex);
        }
    }

    private sealed record Catalog(IReadOnlyDictionary<string, (string Name, string Folder)> Folders, IReadOnlyList<string> Names);
}
