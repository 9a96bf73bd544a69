using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using SentenceMtl.Modeling.Bert;
using SentenceMtl.Serialization;
using SentenceMtl.Tokenization;
using static TorchSharp.torch;

namespace SentenceMtl.Checkpoints;

/// <summary>
/// The models that ship offline in the <c>SentenceMtl.Models</c> package. Their descriptors
/// (<c>models/{name}/config.json</c> and <c>sentencemtl_model.json</c>) are resources of that assembly; the
/// weights are the fp32 ONNX files inside the SentenceTransformers.* assemblies it carries as plain files, read
/// with <see cref="PEReader"/> (never loaded as code) and imported into Hugging Face names. The imported weights
/// are cached as safetensors so later loads skip the ONNX import.
/// </summary>
internal static class EmbeddedModelCatalog
{
    private const string ModelsAssemblyName = "SentenceMtl.Models";
    private const string ResourcePrefix = "SentenceMtl.Models/";
    private const string CarrierFolder = "sentencemtl-models";

    private static readonly Lazy<IReadOnlyDictionary<string, Entry>> Entries = new(Discover);

    /// <summary>Names (and hub aliases) of the embedded models available to this process.</summary>
    public static IReadOnlyList<string> Names => [.. Entries.Value.Values.Select(e => e.Descriptor.Name).Distinct().Order()];

    /// <summary>The embedded model called <paramref name="name"/> (or its hub id), or null.</summary>
    public static ModelSource? TryGet(string name) => TryGet(name, CacheDirectory);

    /// <summary>The embedded model called <paramref name="name"/>, with its imported weights cached under <paramref name="cacheDirectory"/>.</summary>
    internal static ModelSource? TryGet(string name, string cacheDirectory)
    {
        if (!Entries.Value.TryGetValue(name, out var entry))
        {
            return null;
        }

        var d = entry.Descriptor;
        IReadOnlyList<TensorData>? uncached = null;                                             // imported, but the cache could not take them
        return new ModelSource
        {
            Id = d.Name,
            Config = entry.Config,
            OpenVocabulary = () => new MemoryStream(ReadCarrierResource(entry, d.VocabularyResource)),
            VocabularyName = $"{d.Assembly}:{d.VocabularyResource}",
            LoadWeights = () => uncached is { } imported ? ToTorch(imported) : ToTorch(entry, cacheDirectory),
            SafetensorsFile = () => CachedWeights(entry, cacheDirectory, imported => uncached = imported),
            WeightsName = $"{d.Assembly}:{d.OnnxResource}",
            TokenizerOptions = new BertTokenizerOptions { LowerCase = d.DoLowerCase },
            Pooling = d.Pooling,
            Normalize = d.Normalize,
            MaxSequenceLength = d.MaxSequenceLength,
        };
    }

    /// <summary>The raw ONNX file of embedded model <paramref name="name"/> (for parity tests and benchmarks).</summary>
    public static byte[] ReadOnnx(string name)
    {
        var entry = Entries.Value.TryGetValue(name, out var e) ? e : throw new ArgumentException($"No embedded model '{name}'.", nameof(name));
        return ReadCarrierResource(entry, entry.Descriptor.OnnxResource);
    }

    /// <summary>The folder where imported weights are cached (<c>$SENTENCEMTL_CACHE</c>, else the user cache).</summary>
    public static string CacheDirectory =>
        Environment.GetEnvironmentVariable("SENTENCEMTL_CACHE") is { Length: > 0 } dir
            ? dir
            : Path.Combine(
                Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } x
                    ? x
                    : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
                "sentencemtl");

    /// <summary>
    /// The imported weights as a safetensors file in <see cref="CacheDirectory"/>, imported from the ONNX file and written
    /// first if needed (a damaged entry is re-created); null when the cache cannot be written, after handing the imported
    /// weights to <paramref name="unwritable"/>.
    /// </summary>
    private static string? CachedWeights(Entry entry, string cacheDirectory, Action<IReadOnlyList<TensorData>> unwritable)
    {
        string cached = CachePath(entry, cacheDirectory);
        if (IsValid(cached))
        {
            return cached;
        }

        var tensors = Import(entry);
        if (TryWrite(cached, tensors))
        {
            return cached;
        }

        unwritable(tensors);
        return null; // the cache is an optimisation: a read-only home only costs the import each time
    }

    /// <summary>The weights as CPU tensors: from the cache when it holds them, else imported (and cached when possible).</summary>
    private static Dictionary<string, Tensor> ToTorch(Entry entry, string cacheDirectory)
    {
        IReadOnlyList<TensorData>? imported = null;
        return CachedWeights(entry, cacheDirectory, t => imported = t) is { } cached
            ? TensorConversion.ReadSafetensors(cached)
            : ToTorch(imported!);
    }

    private static Dictionary<string, Tensor> ToTorch(IReadOnlyList<TensorData> tensors) =>
        tensors.ToDictionary(t => t.Name, TensorConversion.ToTorch, StringComparer.Ordinal);

    private static string CachePath(Entry entry, string cacheDirectory)
    {
        var carrier = new FileInfo(entry.CarrierPath);
        return Path.Combine(cacheDirectory, entry.Descriptor.Name,
            $"{carrier.Length:x}-{carrier.LastWriteTimeUtc.Ticks:x}", "model.safetensors");
    }

    /// <summary>Whether <paramref name="path"/> exists with a valid header (every offset checked against the file's length).</summary>
    private static bool IsValid(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        try
        {
            using var stream = File.OpenRead(path);
            SafetensorsHeader.Read(stream, path);
            return true;
        }
        catch (ModelFormatException)
        {
            return false; // a damaged cache entry is re-created from the ONNX file
        }
    }

    private static bool TryWrite(string path, IReadOnlyList<TensorData> tensors)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            SafetensorsWriter.Write(path, tensors);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static IReadOnlyList<TensorData> Import(Entry entry)
    {
        var d = entry.Descriptor;
        using var onnx = new MemoryStream(ReadCarrierResource(entry, d.OnnxResource), writable: false);
        return OnnxBertImporter.Import(onnx, $"{d.Assembly}:{d.OnnxResource}");
    }

    private static byte[] ReadCarrierResource(Entry entry, string resourceName)
    {
        using var file = File.OpenRead(entry.CarrierPath);
        using var pe = new PEReader(file);
        var metadata = pe.GetMetadataReader();
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            if (!resource.Implementation.IsNil || metadata.GetString(resource.Name) != resourceName)
            {
                continue;
            }

            var directory = pe.PEHeaders.CorHeader!.ResourcesDirectory;
            if (!pe.PEHeaders.TryGetDirectoryOffset(directory, out int start))
            {
                break;
            }

            file.Position = start + resource.Offset;
            Span<byte> lengthBytes = stackalloc byte[4];
            file.ReadExactly(lengthBytes);
            int length = BitConverter.ToInt32(lengthBytes);
            if (length < 0 || file.Position + length > file.Length)
            {
                break;
            }

            var bytes = new byte[length];
            file.ReadExactly(bytes);
            return bytes;
        }

        throw new ModelFormatException(entry.CarrierPath, $"embedded resource '{resourceName}' not found or damaged.");
    }

    private static Dictionary<string, Entry> Discover()
    {
        var result = new Dictionary<string, Entry>(StringComparer.OrdinalIgnoreCase);
        Assembly assembly;
        try
        {
            assembly = Assembly.Load(new AssemblyName(ModelsAssemblyName));
        }
        catch (FileNotFoundException)
        {
            return result;
        }

        string baseDir = Path.GetDirectoryName(assembly.Location) is { Length: > 0 } dir ? dir : AppContext.BaseDirectory;
        foreach (string resource in assembly.GetManifestResourceNames())
        {
            string normalized = resource.Replace('\\', '/');
            if (!normalized.StartsWith(ResourcePrefix, StringComparison.Ordinal) || !normalized.EndsWith("/sentencemtl_model.json", StringComparison.Ordinal))
            {
                continue;
            }

            string folder = normalized[..normalized.LastIndexOf('/')];
            var descriptor = JsonSerializer.Deserialize<Descriptor>(ReadText(assembly, resource))
                ?? throw new ModelFormatException(resource, "empty model descriptor.");
            string configResource = assembly.GetManifestResourceNames().Single(r => r.Replace('\\', '/') == folder + "/config.json");
            var config = BertConfig.FromJson(ReadText(assembly, configResource), configResource);
            var entry = new Entry(descriptor, config, Path.Combine(baseDir, CarrierFolder, descriptor.Assembly));
            result[descriptor.Name] = entry;
            if (descriptor.HubId is { } hubId)
            {
                result[hubId] = entry;
            }
        }

        return result;
    }

    private static string ReadText(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private sealed record Entry(Descriptor Descriptor, BertConfig Config, string CarrierPath);

    private sealed record Descriptor
    {
        [JsonPropertyName("name")] public required string Name { get; init; }
        [JsonPropertyName("hub_id")] public string? HubId { get; init; }
        [JsonPropertyName("assembly")] public required string Assembly { get; init; }
        [JsonPropertyName("onnx_resource")] public required string OnnxResource { get; init; }
        [JsonPropertyName("vocab_resource")] public required string VocabularyResource { get; init; }
        [JsonPropertyName("pooling")] [JsonConverter(typeof(JsonStringEnumConverter<PoolingStrategy>))] public PoolingStrategy Pooling { get; init; }
        [JsonPropertyName("normalize")] public bool Normalize { get; init; }
        [JsonPropertyName("max_seq_length")] public int MaxSequenceLength { get; init; }
        [JsonPropertyName("do_lower_case")] public bool DoLowerCase { get; init; } = true;
    }
}
