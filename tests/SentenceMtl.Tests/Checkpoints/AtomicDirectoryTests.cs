using SentenceMtl.Checkpoints;

namespace SentenceMtl.Tests.Checkpoints;

/// <summary>Save replaces only its own folders; Load sees a whole save while another thread saves.</summary>
public sealed class AtomicDirectoryTests : IDisposable
{
    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    private string SaveDir => Path.Combine(folder.Path, "saved");

    private static Dictionary<string, byte[]> Snapshot(string directory) =>
        Directory.GetFiles(directory, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(directory, f), File.ReadAllBytes);

    private string[] Siblings() => Directory.GetFileSystemEntries(folder.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    [Fact]
    public void Save_refuses_a_folder_it_did_not_write_and_leaves_every_file_in_it()
    {
        Directory.CreateDirectory(Path.Combine(SaveDir, "sub"));
        File.WriteAllText(Path.Combine(SaveDir, "notes.txt"), "my notes");
        File.WriteAllText(Path.Combine(SaveDir, "sub", "thesis.tex"), @"\documentclass{article}");
        var before = Snapshot(SaveDir);
        using var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment()).WithRandomHeads();

        var ex = Assert.Throws<IOException>(() => model.Save(SaveDir));
        Assert.Contains(SaveDir, ex.Message);
        Assert.Contains("notes.txt", ex.Message);
        Assert.Contains("new or empty folder", ex.Message);
        var encoderEx = Assert.Throws<IOException>(() => model.Encoder.Save(SaveDir));
        Assert.Contains("sub/thesis.tex", encoderEx.Message);

        var after = Snapshot(SaveDir);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (name, bytes) in before)
        {
            Assert.Equal(bytes, after[name]);
        }

        Assert.Equal(["saved", "tiny"], Siblings());                                            // no lock, partial or previous copy
    }

    [Fact]
    public void Save_refuses_an_earlier_save_the_user_added_a_file_to()
    {
        using var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment()).WithRandomHeads();
        model.Save(SaveDir);
        File.WriteAllText(Path.Combine(SaveDir, "README.md"), "mine");
        var ex = Assert.Throws<IOException>(() => model.Save(SaveDir));
        Assert.Contains("README.md", ex.Message);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(SaveDir, "README.md")));
    }

    [Fact]
    public void Save_onto_a_file_is_refused_and_leaves_no_copy()
    {
        File.WriteAllText(SaveDir, "a file");
        using var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment()).WithRandomHeads();
        var ex = Assert.Throws<IOException>(() => model.Save(SaveDir));
        Assert.Contains(SaveDir, ex.Message);
        Assert.Equal("a file", File.ReadAllText(SaveDir));
        Assert.Equal(["saved", "tiny"], Siblings());
    }

    [Fact]
    public void Save_refuses_the_current_directory()
    {
        using var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment()).WithRandomHeads();
        var before = Directory.GetFileSystemEntries(Environment.CurrentDirectory).Length;
        var ex = Assert.Throws<IOException>(() => model.Save("."));
        Assert.Contains("current directory", ex.Message);
        Assert.Equal(before, Directory.GetFileSystemEntries(Environment.CurrentDirectory).Length);
    }

    [Fact]
    public void Save_fills_an_empty_folder_and_replaces_its_own_save()
    {
        Directory.CreateDirectory(SaveDir);
        using var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment()).WithRandomHeads();
        model.Save(SaveDir);
        Assert.True(File.Exists(Path.Combine(SaveDir, SaveManifest.FileName)));
        string firstGeneration = SaveManifest.ReadGeneration(SaveDir)!;
        model.Save(SaveDir);
        Assert.NotEqual(firstGeneration, SaveManifest.ReadGeneration(SaveDir));
        model.Encoder.Save(SaveDir);                                                            // an encoder save replaces a model save
        using var encoder = SentenceEncoder.FromPretrained(SaveDir);
        Assert.Equal(model.Encoder.Encode("the team won"), encoder.Encode("the team won"));
        Assert.Equal(["saved", "tiny"], Siblings());                                            // no lock file left beside it
    }

    [Fact]
    public void Loads_during_saves_see_one_whole_save_and_concurrent_saves_all_succeed()
    {
        using var a = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment()).WithRandomHeads(1);
        using var b = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment()).WithRandomHeads(2);
        float[] Probe(MultiTaskModel m) => m.Predict("the team won")["topic"].Probabilities.ToArray();
        var expected = new[] { Probe(a), Probe(b) };
        Assert.NotEqual(expected[0], expected[1]);
        a.Save(SaveDir);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(6);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        int saves = 0, loads = 0;
        void Saver(MultiTaskModel model)
        {
            while (DateTime.UtcNow < deadline)
            {
                try
                {
                    model.Save(SaveDir);
                    Interlocked.Increment(ref saves);
                }
                catch (Exception ex)
                {
                    failures.Enqueue("save: " + ex);
                }
            }
        }

        void Loader()
        {
            while (DateTime.UtcNow < deadline)
            {
                try
                {
                    using var loaded = MultiTaskModel.Load(SaveDir);
                    var p = Probe(loaded);
                    if (!expected.Any(e => e.SequenceEqual(p)))
                    {
                        failures.Enqueue("load: a model that was never saved");
                    }

                    Interlocked.Increment(ref loads);
                }
                catch (Exception ex)
                {
                    failures.Enqueue("load: " + ex);
                }
            }
        }

        var threads = new[] { new Thread(() => Saver(a)), new Thread(() => Saver(b)), new Thread(Loader), new Thread(Loader) };
        Array.ForEach(threads, t => t.Start());
        Array.ForEach(threads, t => t.Join());

        Assert.True(failures.IsEmpty, $"{failures.Count} failures in {saves} saves and {loads} loads; first: {failures.FirstOrDefault()}");
        Assert.True(saves >= 4 && loads >= 4, $"{saves} saves, {loads} loads");
        Assert.Equal(["saved", "tiny"], Siblings());                                            // no lock file left beside it
        using var last = MultiTaskModel.Load(SaveDir);
        Assert.Contains(expected, e => e.SequenceEqual(Probe(last)));
    }

    /// <summary>
    /// A reader that found the folder without a manifest (a save was moving it at that moment, or had not yet filled it)
    /// and then failed because a save replaced it reads again, instead of reporting the half-seen folder as damaged.
    /// </summary>
    [Fact]
    public void A_read_that_saw_no_manifest_and_failed_while_a_save_replaced_the_folder_is_retried()
    {
        Directory.CreateDirectory(SaveDir);                                                     // empty: no manifest yet
        using var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment()).WithRandomHeads();
        int calls = 0;

        using var loaded = AtomicDirectory.ReadConsistent(SaveDir, found =>
        {
            if (++calls == 1)
            {
                model.Save(SaveDir);                                                            // a save lands during the first read
                throw new ModelFormatException(Path.Combine(SaveDir, MultiTaskModel.ConfigFileName), "file not found.");
            }

            return MultiTaskModel.Load(found!);
        });

        Assert.Equal(2, calls);
        Assert.Equal(model.Tasks, loaded.Tasks);
    }

    [Fact]
    public void A_folder_no_save_wrote_is_read_once_and_its_error_reported()
    {
        Directory.CreateDirectory(SaveDir);
        int calls = 0;

        Assert.Throws<ModelFormatException>(() => AtomicDirectory.ReadConsistent<MultiTaskModel>(SaveDir, found =>
        {
            calls++;
            throw new ModelFormatException(found!, "not a saved model.");
        }));

        Assert.Equal(1, calls);
    }

    [Fact]
    public void A_save_that_fails_mid_write_leaves_the_earlier_save_and_no_copy()
    {
        using var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment()).WithRandomHeads();
        model.Save(SaveDir);
        var before = Snapshot(SaveDir);
        Assert.Throws<IOException>(() => AtomicDirectory.Replace(SaveDir, partial =>
        {
            File.WriteAllText(Path.Combine(partial, "config.json"), "{}");
            throw new IOException("disk full");
        }));

        var after = Snapshot(SaveDir);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        Assert.All(before, kv => Assert.Equal(kv.Value, after[kv.Key]));
        Assert.Equal(["saved", "tiny"], Siblings());                                            // no lock file left beside it
    }
}
