using System.Diagnostics;
using System.Text.Json.Nodes;
using SentenceMtl.Checkpoints;
using TorchSharp.PyBridge;

namespace SentenceMtl.Tests.Robustness;

/// <summary>
/// Files written to make the loader allocate, read or wander without bound: a config far larger than its weights,
/// oversized or endless files, module paths leaving the folder. Each fails fast with a <see cref="ModelFormatException"/>
/// naming the file and the field.
/// </summary>
[Collection(GlobalRngCollection.Name)]
public sealed class HostileFileTests : IDisposable
{
    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    private string Model => folder.Model;

    private string ConfigPath => Path.Combine(Model, "config.json");

    private void EditConfig(Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(ConfigPath))!.AsObject();
        edit(json);
        File.WriteAllText(ConfigPath, json.ToJsonString());
    }

    /// <summary>pytorch_model.bin is read only by <see cref="PyTorchCheckpoint.ConvertToSafetensors"/>: its archive checks
    /// refuse a hostile file there, in bounded time.</summary>
    private ModelFormatException ConvertFails(TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        var ex = Assert.Throws<ModelFormatException>(() => PyTorchCheckpoint.ConvertToSafetensors(Model));
        Assert.True(clock.Elapsed < within, $"took {clock.Elapsed}");
        Assert.False(File.Exists(Path.Combine(Model, "model.safetensors")), "a partial model.safetensors was left");
        return ex;
    }

    private static ModelFormatException LoadFails(string model, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        var ex = Assert.Throws<ModelFormatException>(() => SentenceEncoder.FromPretrained(model));
        Assert.True(clock.Elapsed < within, $"took {clock.Elapsed}");
        return ex;
    }

    [Fact]
    public void A_config_claiming_a_large_model_beside_tiny_weights_fails_before_building_it()
    {
        EditConfig(c => { c["hidden_size"] = 4096; c["num_hidden_layers"] = 48; c["intermediate_size"] = 16384; c["num_attention_heads"] = 16; });
        long before = Environment.WorkingSet;
        var ex = LoadFails(Model, TimeSpan.FromSeconds(20));

        Assert.Equal(ConfigPath, ex.FilePath);
        Assert.Contains("num_hidden_layers is 48", ex.Message, StringComparison.Ordinal);
        Assert.Contains("holds 2 layers", ex.Message, StringComparison.Ordinal);
        Assert.True(Environment.WorkingSet - before < 1L << 30, "a model of 4096 × 48 was allocated");

        EditConfig(c => c["num_hidden_layers"] = 2);
        ex = LoadFails(Model, TimeSpan.FromSeconds(20));
        Assert.Contains("vocab_size × hidden_size here give embeddings.word_embeddings.weight the shape [47, 4096]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("holds [47, 32]", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("num_hidden_layers", 1_000_000)]
    [InlineData("hidden_size", 1 << 20)]
    [InlineData("intermediate_size", int.MaxValue)]
    [InlineData("vocab_size", 50_000_000)]
    [InlineData("max_position_embeddings", 10_000_000)]
    [InlineData("type_vocab_size", 1_000_000)]
    public void Absurd_dimensions_are_refused_by_name(string field, int value)
    {
        EditConfig(c => c[field] = value);
        var ex = LoadFails(Model, TimeSpan.FromSeconds(20));
        Assert.Equal(ConfigPath, ex.FilePath);
        Assert.Contains($"{field} must be between 1 and", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Saved_heads_wider_than_their_weights_fail_before_being_built()
    {
        string saved = Path.Combine(folder.Path, "saved");
        using (var model = MultiTaskModel.Create(Model, TinyModel.TopicAndSentiment()).WithRandomHeads())
        {
            model.Save(saved);
        }

        string configPath = Path.Combine(saved, MultiTaskModel.ConfigFileName);
        var original = File.ReadAllText(configPath);

        void SetHiddenSizes(JsonArray sizes)
        {
            var json = JsonNode.Parse(original)!.AsObject();
            json["tasks"]![0]!["hidden_sizes"] = sizes;
            File.WriteAllText(configPath, json.ToJsonString());
        }

        SetHiddenSizes([1 << 30]);
        var ex = Assert.Throws<ModelFormatException>(() => MultiTaskModel.Load(saved));
        Assert.Equal(configPath, ex.FilePath);
        Assert.Contains("hidden_sizes' must hold at most", ex.Message, StringComparison.Ordinal);

        SetHiddenSizes([60_000, 60_000]);
        ex = Assert.Throws<ModelFormatException>(() => MultiTaskModel.Load(saved));
        Assert.Equal(configPath, ex.FilePath);
        Assert.Contains("hidden_sizes[0] × the encoder's dimension here give", ex.Message, StringComparison.Ordinal);
        Assert.Contains("[60000, 32]", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("config.json")]
    [InlineData("vocab.txt")]
    [InlineData("tokenizer_config.json")]
    public void An_oversized_file_is_refused_without_reading_it_whole(string file)
    {
        string path = Path.Combine(Model, file);
        long cap = file == "vocab.txt" ? BoundedFile.MaxVocabularyBytes : BoundedFile.MaxJsonBytes;
        using (var stream = File.Create(path))
        {
            stream.SetLength(cap + 1);                                                          // sparse: no disk used
        }

        var ex = LoadFails(Model, TimeSpan.FromSeconds(30));
        Assert.Equal(path, ex.FilePath);
        Assert.Contains("larger than", ex.Message, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("config.json")]
    [InlineData("vocab.txt")]
    [InlineData("modules.json")]
    [InlineData("sentence_bert_config.json")]
    public void A_file_linked_to_dev_zero_is_refused(string file)
    {
        Skip.IfNot(OperatingSystem.IsLinux() && File.Exists("/dev/zero"), "needs /dev/zero (Linux)");
        string path = Path.Combine(Model, file);
        File.Delete(path);
        File.CreateSymbolicLink(path, "/dev/zero");

        var ex = LoadFails(Model, TimeSpan.FromSeconds(30));
        Assert.Equal(path, ex.FilePath);
        Assert.Contains("larger than", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_list_of_many_keys_in_a_message_is_cut_short()
    {
        var names = Enumerable.Range(0, 100_000).Select(i => new string('k', 500) + i).ToList();
        string text = ErrorText.List(names);
        Assert.True(text.Length < 4000, $"{text.Length} characters");
        Assert.EndsWith(" and 99980 more", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Messages_about_huge_names_and_key_lists_stay_small()
    {
        EditConfig(c => c["hidden_act"] = new string('x', 1 << 20));
        var ex = LoadFails(Model, TimeSpan.FromSeconds(20));
        Assert.Contains("hidden_act 'xxx", ex.Message, StringComparison.Ordinal);
        Assert.True(ex.Message.Length < 2000, $"{ex.Message.Length} characters");

        EditConfig(c => c["hidden_act"] = "gelu");
        string weights = Path.Combine(Model, "model.safetensors");
        var tensors = SentenceMtl.Serialization.SafetensorsReader.Read(weights).ToList();
        tensors.AddRange(Enumerable.Range(0, 50_000).Select(i => new SentenceMtl.Serialization.TensorData(
            $"extra.{new string('n', 200)}.{i}", SentenceMtl.Serialization.TensorDType.F32, [1], new byte[4])));
        SentenceMtl.Serialization.SafetensorsWriter.Write(weights, tensors);
        ex = LoadFails(Model, TimeSpan.FromSeconds(30));
        Assert.Contains("50000 unexpected keys", ex.Message, StringComparison.Ordinal);
        Assert.Contains(" and 49980 more", ex.Message, StringComparison.Ordinal);
        Assert.True(ex.Message.Length < 8000, $"{ex.Message.Length} characters");
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData("sub/../../outside")]
    [InlineData("ABSOLUTE")]
    public void A_module_path_leaving_the_folder_is_refused(string modulePath)
    {
        string outside = TinyModel.CreateFolder(Path.Combine(folder.Path, "outside"));
        if (modulePath == "ABSOLUTE")
        {
            modulePath = outside;
        }

        Directory.CreateDirectory(Path.Combine(Model, "sub"));
        string modules = Path.Combine(Model, "modules.json");
        File.WriteAllText(modules, new JsonArray(
            new JsonObject { ["idx"] = 0, ["name"] = "0", ["path"] = modulePath, ["type"] = "sentence_transformers.models.Transformer" }).ToJsonString());

        var ex = Assert.Throws<ModelFormatException>(() => SentenceEncoder.FromPretrained(Model));
        Assert.Equal(modules, ex.FilePath);
        Assert.Contains("is not a folder inside the model folder", ex.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void A_module_folder_linked_outside_the_folder_is_refused()
    {
        string outside = TinyModel.CreateFolder(Path.Combine(folder.Path, "outside"));
        try
        {
            Directory.CreateSymbolicLink(Path.Combine(Model, "0_Transformer"), outside);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Skip.If(true, $"cannot create a directory symlink here ({ex.Message})");
        }

        string modules = Path.Combine(Model, "modules.json");
        File.WriteAllText(modules, """
            [{"idx": 0, "name": "0", "path": "0_Transformer", "type": "sentence_transformers.models.Transformer"}]
            """);
        var ex2 = Assert.Throws<ModelFormatException>(() => SentenceEncoder.FromPretrained(Model));
        Assert.Equal(modules, ex2.FilePath);
    }

    [Fact]
    public void A_module_path_inside_the_folder_still_loads()
    {
        string sub = Path.Combine(Model, "0_Transformer");
        Directory.CreateDirectory(sub);
        foreach (string file in new[] { "config.json", "vocab.txt", "model.safetensors" })
        {
            File.Move(Path.Combine(Model, file), Path.Combine(sub, file));
        }

        File.WriteAllText(Path.Combine(Model, "modules.json"), """
            [{"idx": 0, "name": "0", "path": "0_Transformer/", "type": "sentence_transformers.models.Transformer"}]
            """);
        using var encoder = SentenceEncoder.FromPretrained(Model);
        Assert.Equal(32, encoder.Dimension);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_zip_bomb_pytorch_model_bin_is_refused_without_inflating_it(bool lyingHeader)
    {
        // A pickle holding one 200 MB bytes object of zeros: deflated to a few hundred KB.
        const int Inflated = 200_000_000;
        string bin = Path.Combine(Model, "pytorch_model.bin");
        File.Delete(Path.Combine(Model, "model.safetensors"));
        using (var zip = new System.IO.Compression.ZipArchive(File.Create(bin), System.IO.Compression.ZipArchiveMode.Create))
        {
            using (var pickle = zip.CreateEntry("archive/data.pkl", System.IO.Compression.CompressionLevel.Fastest).Open())
            {
                pickle.Write([0x80, 0x02, (byte)'B', .. BitConverter.GetBytes(Inflated)]);
                var zeros = new byte[1 << 20];
                for (int written = 0; written < Inflated; written += zeros.Length)
                {
                    pickle.Write(zeros, 0, Math.Min(zeros.Length, Inflated - written));
                }

                pickle.WriteByte((byte)'.');
            }

            using var storage = zip.CreateEntry("archive/data/0", System.IO.Compression.CompressionLevel.NoCompression).Open();
            storage.Write(new byte[16]);
        }

        if (lyingHeader)
        {
            SetDeclaredSize(bin, "archive/data.pkl", 1000);                                     // the zip claims 1,000 bytes
        }

        Assert.True(new FileInfo(bin).Length < 2 << 20);
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var ex = ConvertFails(TimeSpan.FromSeconds(10));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        Assert.Equal(bin, ex.FilePath);
        Assert.Contains("entry archive/data.pkl", ex.Message, StringComparison.Ordinal);
        Assert.True(allocated < 64L << 20, $"{allocated} bytes allocated");
    }

    [Fact]
    public void A_storage_entry_that_inflates_far_beyond_its_bytes_is_refused()
    {
        UsePytorchBin();
        string bin = Path.Combine(Model, "pytorch_model.bin");
        string storage;
        using (var zip = System.IO.Compression.ZipFile.OpenRead(bin))
        {
            storage = zip.Entries.First(e => e.FullName.Contains("/data/", StringComparison.Ordinal)).FullName;
        }

        SetDeclaredSize(bin, storage, 1_000_000_000);

        var ex = ConvertFails(TimeSpan.FromSeconds(10));
        Assert.Equal(bin, ex.FilePath);
        Assert.Contains($"entry {storage} claims to inflate", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pickle_claiming_storages_larger_than_the_archive_is_refused()
    {
        // ('storage', torch.FloatStorage, '0', 'cpu', 500_000_000) as torch.save writes it, then BINPERSID: PyBridge
        // would allocate 2 GB for it.
        var pickle = new List<byte> { 0x80, 0x02, (byte)'(' };
        void Text(string s)
        {
            pickle.Add((byte)'X');
            pickle.AddRange(BitConverter.GetBytes(s.Length));
            pickle.AddRange(System.Text.Encoding.ASCII.GetBytes(s));
        }

        Text("storage");
        pickle.AddRange(System.Text.Encoding.ASCII.GetBytes("ctorch\nFloatStorage\n"));
        Text("0");
        Text("cpu");
        pickle.Add((byte)'J');
        pickle.AddRange(BitConverter.GetBytes(500_000_000));
        pickle.AddRange("tQ."u8.ToArray());
        Assert.Equal(500_000_000, PickleScanner.Check(pickle.ToArray(), "test", "data.pkl"));
        // The fuzz seed is a pickle written by Python's pickler as torch.save writes one: storages of 6 and 2 floats.
        Assert.Equal(8, PickleScanner.Check(File.ReadAllBytes(Path.Combine(TestPaths.RepoRoot, "fuzz", "seeds", "pytorch", "pickle")), "seed", "data.pkl"));

        string bin = Path.Combine(Model, "pytorch_model.bin");
        File.Delete(Path.Combine(Model, "model.safetensors"));
        using (var zip = new System.IO.Compression.ZipArchive(File.Create(bin), System.IO.Compression.ZipArchiveMode.Create))
        {
            using (var entry = zip.CreateEntry("archive/data.pkl").Open())
            {
                entry.Write(pickle.ToArray());
            }

            using var storage = zip.CreateEntry("archive/data/0").Open();
            storage.Write(new byte[16]);
        }

        var ex = ConvertFails(TimeSpan.FromSeconds(10));
        Assert.Equal(bin, ex.FilePath);
        Assert.Contains("describes tensor storages of 500000000 elements", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Rewrites the uncompressed size the zip declares for <paramref name="entry"/> (central directory and local header).</summary>
    private static void SetDeclaredSize(string zip, string entry, uint size)
    {
        byte[] bytes = File.ReadAllBytes(zip);
        byte[] name = System.Text.Encoding.UTF8.GetBytes(entry);
        for (int at = 0; at + 46 <= bytes.Length; at++)
        {
            if (BitConverter.ToUInt32(bytes, at) == 0x02014b50 && BitConverter.ToUInt16(bytes, at + 28) == name.Length
                && bytes.AsSpan(at + 46, name.Length).SequenceEqual(name))
            {
                BitConverter.GetBytes(size).CopyTo(bytes, at + 24);
                int local = (int)BitConverter.ToUInt32(bytes, at + 42);
                BitConverter.GetBytes(size).CopyTo(bytes, local + 22);
                File.WriteAllBytes(zip, bytes);
                return;
            }
        }

        throw new InvalidOperationException($"{entry} not found in {zip}");
    }

    private void UsePytorchBin()
    {
        using (var encoder = SentenceEncoder.FromPretrained(Model))
        {
            var copies = encoder.Torch().Backbone.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
            PyTorchPickler.PickleStateDict(Path.Combine(Model, "pytorch_model.bin"), copies);
        }

        File.Delete(Path.Combine(Model, "model.safetensors"));
    }
}
