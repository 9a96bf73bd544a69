using SentenceMtl.Checkpoints;
using SentenceMtl.Serialization;

namespace SentenceMtl.Tests.Checkpoints;

/// <summary>The safetensors cache of the imported embedded weights, in a private cache folder per test.</summary>
public sealed class EmbeddedModelCatalogTests : IDisposable
{
    private const string Model = "all-MiniLM-L6-v2";
    private readonly string dir = Directory.CreateTempSubdirectory("catalog-").FullName;

    static EmbeddedModelCatalogTests() => TorchSharpNative.EnsureLoadable();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private ModelSource Source(string cacheDirectory) =>
        EmbeddedModelCatalog.TryGet(Model, cacheDirectory) ?? throw new InvalidOperationException("SentenceMtl.Models is not deployed.");

    [Fact]
    public void The_import_is_cached_once_and_a_damaged_entry_is_recreated()
    {
        string path = Source(dir).SafetensorsFile() ?? throw new Xunit.Sdk.XunitException("no cache file");
        Assert.StartsWith(dir, path, StringComparison.Ordinal);
        using (var stream = File.OpenRead(path))
        {
            Assert.Equal(103, SafetensorsHeader.Read(stream, path).Entries.Count);             // MiniLM with its pooler
        }

        var written = File.GetLastWriteTimeUtc(path);
        long length = new FileInfo(path).Length;
        Assert.Equal(path, Source(dir).SafetensorsFile());
        Assert.Equal(written, File.GetLastWriteTimeUtc(path));                                  // reused, not rewritten

        File.WriteAllBytes(path, File.ReadAllBytes(path)[..100]);                               // truncated
        Assert.Equal(path, Source(dir).SafetensorsFile());
        Assert.Equal(length, new FileInfo(path).Length);
    }

    [Fact]
    public void An_unwritable_cache_still_loads_the_imported_weights()
    {
        string blocked = Path.Combine(dir, "not-a-folder");
        File.WriteAllText(blocked, "a file where the cache folder should be");
        var source = Source(blocked);

        Assert.Null(source.SafetensorsFile());
        var imported = source.LoadWeights();
        var cached = Source(dir).LoadWeights();
        try
        {
            Assert.Equal(cached.Keys.Order(), imported.Keys.Order());
            Assert.All(cached, kv => Assert.True(kv.Value.allclose(imported[kv.Key], rtol: 0, atol: 0), kv.Key));
        }
        finally
        {
            foreach (var t in imported.Values.Concat(cached.Values))
            {
                t.Dispose();
            }
        }
    }
}
