namespace SentenceMtl.Tests.MultiTask;

/// <summary>Task names are the keys of the heads' saved weights: names that would read each other's weights are
/// refused when the tasks are defined, and every other awkward name saves and loads.</summary>
[Collection(GlobalRngCollection.Name)]
public sealed class MultiTaskModelTaskNameTests : IDisposable
{
    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    [Theory]
    [InlineData("a", "a.b")]
    [InlineData("topic", "topic.mlp.0")]
    [InlineData("x.y.z", "x.y")]
    public void Task_names_whose_weight_keys_collide_are_refused(string first, string second)
    {
        var options = new MultiTaskModelOptions { Tasks = [new TaskDefinition(first, ["n", "p"]), new TaskDefinition(second, ["n", "p"])] };

        var error = Assert.Throws<ArgumentException>(() => MultiTaskModel.Create(folder.Model, options));

        Assert.Contains("collide", error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{first}'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{second}'", error.Message, StringComparison.Ordinal);
    }

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

        using var model = MultiTaskModel.Create(folder.Model, options);
        model.Save(saved);
        using var loaded = MultiTaskModel.Load(saved);

        Assert.Equal(names, loaded.Tasks.Select(t => t.Name));
        // Every head's weights come back exactly, under its own name.
        var before = model.AllParametersByName().ToDictionary(p => p.Name, p => p.Parameter.data<float>().ToArray());
        var after = loaded.AllParametersByName().ToDictionary(p => p.Name, p => p.Parameter.data<float>().ToArray());
        Assert.Equal(before.Keys.Order(StringComparer.Ordinal), after.Keys.Order(StringComparer.Ordinal));
        Assert.All(before, weight => Assert.Equal(weight.Value, after[weight.Key]));
        // libtorch's multi-threaded kernels may round the last bit differently from one call to the next.
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
