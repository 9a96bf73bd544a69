using System.Text.Json;
using SentenceMtl.Checkpoints;
using SentenceMtl.Serialization;

namespace SentenceMtl.Tests.Checkpoints;

/// <summary>
/// The sentence-transformers folders that the SentenceMtl.Models.* projects produce at build time and copy to
/// <c>sentencemtl-models/</c> beside the application, and how the catalog finds them by name and alias.
/// </summary>
public sealed class EmbeddedModelCatalogTests : IDisposable
{
    private static readonly string Installed = Path.Combine(AppContext.BaseDirectory, EmbeddedModelCatalog.FolderName);
    private readonly string dir = Directory.CreateTempSubdirectory("catalog-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    public static TheoryData<string, string, string, int, int> Models => new()
    {
        // name, hub id, pooling mode key, max_seq_length, tensors (MiniLM keeps its pooler; the arctic export pruned it)
        { "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2", "pooling_mode_mean_tokens", 256, 103 },
        { "snowflake-arctic-embed-xs", "Snowflake/snowflake-arctic-embed-xs", "pooling_mode_cls_token", 512, 101 },
    };

    private static JsonElement Json(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.Clone();
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void The_build_installs_a_standard_sentence_transformers_folder(string name, string hubId, string pooling, int maxLength, int tensors)
    {
        string folder = Path.Combine(Installed, name);
        string[] expected =
        [
            "1_Pooling/config.json", "config.json", "config_sentence_transformers.json", "model.safetensors", "modules.json",
            "sentence_bert_config.json", "sentencemtl_model.json", "special_tokens_map.json", "tokenizer_config.json", "vocab.txt",
        ];
        Assert.Equal(expected, Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/')).Order(StringComparer.Ordinal));

        var modules = Json(Path.Combine(folder, "modules.json")).EnumerateArray().ToList();
        Assert.Equal(["sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling", "sentence_transformers.models.Normalize"],
            modules.Select(m => m.GetProperty("type").GetString()));
        Assert.Equal(["", "1_Pooling", "2_Normalize"], modules.Select(m => m.GetProperty("path").GetString()));

        var poolingConfig = Json(Path.Combine(folder, "1_Pooling", "config.json"));
        Assert.Equal(384, poolingConfig.GetProperty("word_embedding_dimension").GetInt32());
        Assert.Equal([pooling], poolingConfig.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.True && p.Name.StartsWith("pooling_mode_", StringComparison.Ordinal)).Select(p => p.Name));
        Assert.Equal(maxLength, Json(Path.Combine(folder, "sentence_bert_config.json")).GetProperty("max_seq_length").GetInt32());
        Assert.True(Json(Path.Combine(folder, "tokenizer_config.json")).GetProperty("do_lower_case").GetBoolean());
        Assert.Equal("cosine", Json(Path.Combine(folder, "config_sentence_transformers.json")).GetProperty("similarity_fn_name").GetString());
        Assert.Equal([hubId], Json(Path.Combine(folder, "sentencemtl_model.json")).GetProperty("aliases").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(30522, File.ReadAllLines(Path.Combine(folder, "vocab.txt")).Length);

        string weights = Path.Combine(folder, "model.safetensors");
        using var stream = File.OpenRead(weights);
        var header = SafetensorsHeader.Read(stream, weights);
        Assert.Equal(tensors, header.Entries.Count);
        Assert.All(header.Entries, e => Assert.Equal(TensorDType.F32, e.DType));
    }

    [Fact]
    public void The_arctic_folder_carries_its_query_prompt()
    {
        var prompts = Json(Path.Combine(Installed, "snowflake-arctic-embed-xs", "config_sentence_transformers.json")).GetProperty("prompts");
        Assert.Equal("Represent this sentence for searching relevant passages: ", prompts.GetProperty("query").GetString());
        Assert.Empty(Json(Path.Combine(Installed, "all-MiniLM-L6-v2", "config_sentence_transformers.json")).GetProperty("prompts").EnumerateObject());
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Name_hub_id_and_any_case_resolve_to_the_installed_folder(string name, string hubId, string pooling, int maxLength, int tensors)
    {
        _ = tensors;
        Assert.Contains(name, EmbeddedModelCatalog.Names);
        foreach (string key in new[] { name, hubId, name.ToUpperInvariant() })
        {
            var source = EmbeddedModelCatalog.TryGet(key) ?? throw new Xunit.Sdk.XunitException($"{key} did not resolve");
            Assert.Equal(name, source.Id);
            Assert.Equal(Path.Combine(Installed, name, "model.safetensors"), source.SafetensorsFile());
            Assert.Equal(pooling == "pooling_mode_cls_token" ? PoolingStrategy.Cls : PoolingStrategy.Mean, source.Pooling);
            Assert.True(source.Normalize);
            Assert.Equal(maxLength, source.MaxSequenceLength);
            Assert.True(source.TokenizerOptions.LowerCase);
            Assert.False(source.LowerCaseInput);
        }
    }

    [Fact]
    public void Only_folders_with_a_descriptor_are_models_and_unknown_names_are_null()
    {
        CopyInstalled("all-MiniLM-L6-v2", "mini");
        Directory.CreateDirectory(Path.Combine(dir, "not-a-model"));
        File.WriteAllText(Path.Combine(dir, "not-a-model", "config.json"), "{}");

        Assert.Equal(["mini"], EmbeddedModelCatalog.NamesIn(dir));
        Assert.Equal("mini", EmbeddedModelCatalog.TryGet("sentence-transformers/all-MiniLM-L6-v2", dir)?.Id);
        Assert.Null(EmbeddedModelCatalog.TryGet("not-a-model", dir));
        Assert.Null(EmbeddedModelCatalog.TryGet("all-MiniLM-L6-v2", Path.Combine(dir, "missing")));
    }

    [Theory]
    [InlineData("{ not json", "invalid JSON")]
    [InlineData("[1, 2]", "expected a JSON object")]
    [InlineData("{\"aliases\": \"x\"}", "'aliases' must be an array of strings")]
    public void A_damaged_descriptor_is_reported_with_its_path(string content, string expected)
    {
        string descriptor = CopyInstalled("all-MiniLM-L6-v2", "mini");
        File.WriteAllText(descriptor, content);

        var ex = Assert.Throws<ModelFormatException>(() => EmbeddedModelCatalog.TryGet("mini", dir));
        Assert.Equal(descriptor, ex.FilePath);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Copies an installed model folder to <c>dir/{name}</c>; returns its descriptor's path.</summary>
    private string CopyInstalled(string model, string name)
    {
        string source = Path.Combine(Installed, model);
        foreach (string file in Directory.GetFiles(source, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".safetensors", StringComparison.Ordinal)))
        {
            string target = Path.Combine(dir, name, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        File.CreateSymbolicLink(Path.Combine(dir, name, "model.safetensors"), Path.Combine(source, "model.safetensors"));
        return Path.Combine(dir, name, EmbeddedModelCatalog.DescriptorFileName);
    }
}
