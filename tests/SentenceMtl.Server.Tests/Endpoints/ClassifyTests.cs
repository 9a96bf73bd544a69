using System.Net.Http.Json;
using System.Text.Json;

namespace SentenceMtl.Server.Tests.Endpoints;

/// <summary><c>/classify</c> serves a saved <see cref="MultiTaskModel"/>: per input and task, its label and
/// probabilities, as <c>Predict</c> gives them in-process.</summary>
public sealed class ClassifyTests
{
    [Fact]
    public async Task Classify_answers_as_the_saved_model_predicts()
    {
        using var folder = new TempFolder();
        string tiny = TinyModel.CreateFolder(Path.Combine(folder.Path, "tiny"));
        string saved = TinyClassifier.Save(tiny, Path.Combine(folder.Path, "classifier"));

        using var reference = MultiTaskModel.Load(saved);
        await using var server = new ServerFactory(new Dictionary<string, string> { ["Model"] = tiny, ["Classifier"] = saved });
        await server.WaitUntilReadyAsync();
        using var client = server.CreateClient();
        var texts = TinyModel.Sentences(3);
        string before = await client.GetStringAsync("/metrics");

        var response = await client.PostAsJsonAsync("/classify", new { inputs = texts });
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => client.PostAsJsonAsync("/classify", new { inputs = TinyModel.Sentences(5 + i) })));
        string after = await client.GetStringAsync("/metrics");

        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        Assert.All(concurrent, r => Assert.True(r.IsSuccessStatusCode));
        // Classification runs through the batching queue: its batches are counted with the embeddings'.
        Assert.True(BatchCount(after) - BatchCount(before) >= 2, $"{BatchCount(before)} -> {BatchCount(after)}");
        using var body = JsonDocument.Parse(text);
        var expected = reference.Predict(texts);
        Assert.Equal(texts.Length, body.RootElement.GetArrayLength());
        for (int i = 0; i < texts.Length; i++)
        {
            foreach (var task in expected[i].Tasks)
            {
                var answer = body.RootElement[i].GetProperty(task.Task);
                // The classifier runs on libtorch, whose multi-threaded kernels may round the last bit differently
                // from one call to the next: probabilities agree to 1e-6.
                Assert.Equal(task.Label, answer.GetProperty("label").GetString());
                Assert.Equal(task.Confidence, answer.GetProperty("confidence").GetSingle(), 1e-6f);
                Assert.Equal(task.Labels.Count, answer.GetProperty("probabilities").EnumerateObject().Count());
                foreach (var (label, probability) in task.LabelProbabilities)
                {
                    Assert.Equal(probability, answer.GetProperty("probabilities").GetProperty(label).GetSingle(), 1e-6f);
                }
            }
        }
    }

    private static double BatchCount(string metrics) => metrics.Split('\n')
        .Where(l => l.StartsWith("sentencemtl_batch_size_count", StringComparison.Ordinal))
        .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
}
