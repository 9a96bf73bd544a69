using System.Net.Http.Json;
using System.Text.Json;

namespace SentenceMtl.ContainerCheck;

/// <summary>
/// Sends <see cref="CheckSentences.All"/> to a running server and compares the answers with in-process results:
/// <c>/v1/embeddings</c> (base64, so the floats arrive unrounded) must equal <c>SentenceEncoder.Encode</c> bit for
/// bit, once as one request and once as concurrent single-text requests (which the server batches together);
/// <c>/classify</c> must give <see cref="MultiTaskModel.Predict(IReadOnlyList{string}, CancellationToken)"/>'s labels
/// and, within 1e-6, its probabilities (the heads run on libtorch, whose threaded kernels may round the last bit
/// differently from call to call; the server tests allow the same).
/// </summary>
internal sealed class ServerComparison(Uri server, string classifierFolder) : IDisposable
{
    private const float ProbabilityTolerance = 1e-6f;

    private readonly HttpClient client = new() { BaseAddress = server, Timeout = TimeSpan.FromSeconds(60) };
    private readonly List<string> problems = [];

    /// <summary>Runs every comparison; returns the differences found (empty: the server answers as in-process).</summary>
    public async Task<IReadOnlyList<string>> RunAsync()
    {
        using (var encoder = SentenceEncoder.FromPretrained("all-MiniLM-L6-v2"))
        {
            var expected = encoder.Encode(CheckSentences.All);
            Compare("one request", expected, await EmbedAsync(CheckSentences.All));
            var singles = await Task.WhenAll(CheckSentences.All.Select(text => EmbedAsync([text])));
            Compare("concurrent single-text requests", expected, singles.Select(vectors => vectors[0]).ToArray());
        }

        using (var classifier = MultiTaskModel.Load(classifierFolder))
        {
            CompareClassify(classifier.Predict(CheckSentences.All), await ClassifyAsync(CheckSentences.All));
        }

        return problems;
    }

    public void Dispose() => client.Dispose();

    private async Task<float[][]> EmbedAsync(string[] texts)
    {
        using var response = await client.PostAsJsonAsync("/v1/embeddings",
            new { input = texts, model = "all-MiniLM-L6-v2", encoding_format = "base64" });
        using var body = await ReadAsync(response, "/v1/embeddings");
        return body.RootElement.GetProperty("data").EnumerateArray()
            .OrderBy(item => item.GetProperty("index").GetInt32())
            .Select(item => FromBase64(item.GetProperty("embedding").GetString()!))
            .ToArray();
    }

    private async Task<JsonElement> ClassifyAsync(string[] texts)
    {
        using var response = await client.PostAsJsonAsync("/classify", new { inputs = texts });
        using var body = await ReadAsync(response, "/classify");
        return body.RootElement.Clone();
    }

    private static async Task<JsonDocument> ReadAsync(HttpResponseMessage response, string path)
    {
        string text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode
            ? JsonDocument.Parse(text)
            : throw new InvalidOperationException($"{path} answered {(int)response.StatusCode}: {text}");
    }

    private static float[] FromBase64(string base64)
    {
        byte[] bytes = Convert.FromBase64String(base64);
        var vector = new float[bytes.Length / sizeof(float)];
        Buffer.BlockCopy(bytes, 0, vector, 0, vector.Length * sizeof(float));
        return vector;
    }

    private void Compare(string how, float[][] expected, float[][] actual)
    {
        if (actual.Length != expected.Length)
        {
            problems.Add($"/v1/embeddings ({how}): {actual.Length} vectors for {expected.Length} texts.");
            return;
        }

        for (int i = 0; i < expected.Length; i++)
        {
            int differing = expected[i].Length == actual[i].Length
                ? expected[i].Where((value, j) => BitConverter.SingleToInt32Bits(value) != BitConverter.SingleToInt32Bits(actual[i][j])).Count()
                : -1;
            if (differing != 0)
            {
                problems.Add($"/v1/embeddings ({how}): text {i} differs from in-process Encode " +
                    (differing < 0 ? $"in length ({actual[i].Length} vs {expected[i].Length})." : $"in {differing} of {expected[i].Length} values."));
            }
        }

        Console.WriteLine($"/v1/embeddings ({how}): compared {expected.Length} vectors.");
    }

    private void CompareClassify(IReadOnlyList<SentencePrediction> expected, JsonElement actual)
    {
        if (actual.GetArrayLength() != expected.Count)
        {
            problems.Add($"/classify: {actual.GetArrayLength()} answers for {expected.Count} texts.");
            return;
        }

        for (int i = 0; i < expected.Count; i++)
        {
            foreach (var task in expected[i].Tasks)
            {
                var answer = actual[i].GetProperty(task.Task);
                if (answer.GetProperty("label").GetString() != task.Label)
                {
                    problems.Add($"/classify: text {i}, task {task.Task}: label {answer.GetProperty("label")} instead of {task.Label}.");
                }

                foreach (var (label, probability) in task.LabelProbabilities)
                {
                    float served = answer.GetProperty("probabilities").GetProperty(label).GetSingle();
                    if (Math.Abs(served - probability) > ProbabilityTolerance)
                    {
                        problems.Add($"/classify: text {i}, task {task.Task}, label {label}: {served} instead of {probability}.");
                    }
                }
            }
        }

        Console.WriteLine($"/classify: compared {expected.Count} texts.");
    }
}
