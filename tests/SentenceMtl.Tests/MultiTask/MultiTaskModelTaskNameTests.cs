namespace SentenceMtl.Tests.MultiTask;

/// <summary>Task names are the prefixes of the heads' saved weight keys, which loading matches exactly: every awkward
/// name saves and loads, each head with its own weights (names sharing a prefix: MultiTaskModelPersistenceTests).</summary>
public sealed class MultiTaskModelTaskNameTests : IDisposable
{
    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    [Fact]
    public void Awkward_task_names_save_and_load()
    {
        string[] names = ["a", "a_b", "ab", "A", "x.y", "mlp", "0", "with space", "tâche", "名前", "emoji🙂", "slash/name", "quote\"d"];
        var options = new MultiTaskModelOptions
        {
            Tasks = names.Select((name, i) => new TaskDefinition(name, ["n", "p", $"l{i}"])).ToArray(),
            HeadHiddenSizes = [4],
        };
        string saved = Path.Combine(folder.Path, "saved");
        var texts = TinyData.Rows.Select(r => r.Text).Take(4).ToArray();

        using var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment(options)).WithRandomHeads();
        model.Save(saved);
        using var loaded = MultiTaskModel.Load(saved);

        Assert.Equal(names, loaded.Tasks.Select(t => t.Name));
        // Every head's weights come back exactly, under its own name.
        var before = model.HeadStateDicts()!;
        var after = loaded.HeadStateDicts()!;
        Assert.Equal(before.Keys.Order(StringComparer.Ordinal), after.Keys.Order(StringComparer.Ordinal));
        Assert.All(before, head => Assert.All(head.Value, weight => Assert.Equal(weight.Value.Bytes, after[head.Key][weight.Key].Bytes)));
        var expected = model.Predict(texts);
        var actual = loaded.Predict(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            foreach (string name in names)
            {
                Assert.Equal(expected[i][name].Probabilities.Count, actual[i][name].Probabilities.Count);
                for (int label = 0; label < expected[i][name].Probabilities.Count; label++)
                {
                    Assert.Equal(expected[i][name].Probabilities[label], actual[i][name].Probabilities[label], 1e-6f);
                }
            }
        }
    }
}
