using System.Globalization;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using SentenceMtl.Server.Batching;
using SentenceMtl.Server.Endpoints;

namespace SentenceMtl.Server.Tests.Batching;

/// <summary>The queue's rules: a cancelled request is skipped, stopping answers what is queued and refuses the rest,
/// and the token budget bounds a batch.</summary>
public sealed class BatchingQueueTests : IDisposable
{
    private readonly TempFolder folder = new();
    private readonly string tiny;

    public BatchingQueueTests() => tiny = TinyModel.CreateFolder(Path.Combine(folder.Path, "tiny"));

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task A_request_cancelled_before_its_batch_is_skipped()
    {
        await using var server = new ServerFactory(new Dictionary<string, string> { ["Model"] = tiny });
        await server.WaitUntilReadyAsync();
        using var client = server.CreateClient();
        var queue = server.Services.GetRequiredService<BatchingQueue>();
        double before = await MetricAsync(client, "sentencemtl_batch_size_sum");

        var cancelled = queue.EmbedAsync(Enumerable.Repeat(new int[10], 5).ToArray(), EncodeOptions.Default, 0, new CancellationToken(canceled: true));
        (await client.PostAsJsonAsync("/v1/embeddings", new { input = "the game", model = "tiny" })).EnsureSuccessStatusCode();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(1, await MetricAsync(client, "sentencemtl_batch_size_sum") - before);
    }

    [Fact]
    public async Task Stopping_answers_every_queued_request_and_refuses_new_ones()
    {
        await using var server = new ServerFactory(new Dictionary<string, string> { ["Model"] = tiny, ["MaxBatchTokens"] = "40" });
        await server.WaitUntilReadyAsync();
        var queue = server.Services.GetRequiredService<BatchingQueue>();
        var texts = TinyModel.Sentences(24);
        using var reference = SentenceEncoder.FromPretrained(tiny);

        var pending = texts.Select(text => queue.EmbedAsync([reference.Tokenize(text)], EncodeOptions.Default, 0, CancellationToken.None)).ToArray();
        await queue.StopAsync(CancellationToken.None);

        Assert.All(pending, task => Assert.True(task.IsCompletedSuccessfully, "a queued request was not answered"));
        Assert.All(Enumerable.Range(0, texts.Length), i => Assert.Equal(reference.Encode(texts[i]), pending[i].Result[0]));
        var refused = await Assert.ThrowsAsync<ApiException>(() => queue.EmbedAsync([reference.Tokenize("late")], EncodeOptions.Default, 0, CancellationToken.None));
        Assert.Equal(503, refused.StatusCode);
    }

    [Fact]
    public async Task The_token_budget_bounds_each_batch()
    {
        await using var server = new ServerFactory(new Dictionary<string, string>
        {
            ["Model"] = tiny, ["MaxBatchTokens"] = "1", ["MaxBatchWait"] = "00:00:00.050",
        });
        await server.WaitUntilReadyAsync();
        using var client = server.CreateClient();
        double before = await MetricAsync(client, "sentencemtl_batch_size_count");

        await Task.WhenAll(TinyModel.Sentences(6).Select(async text =>
            (await client.PostAsJsonAsync("/v1/embeddings", new { input = text, model = "tiny" })).EnsureSuccessStatusCode()));

        // Every request is over the budget on its own, so each ran alone.
        Assert.Equal(6, await MetricAsync(client, "sentencemtl_batch_size_count") - before);
    }

    private static async Task<double> MetricAsync(HttpClient client, string name) => (await client.GetStringAsync("/metrics"))
        .Split('\n')
        .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal))
        .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
}
