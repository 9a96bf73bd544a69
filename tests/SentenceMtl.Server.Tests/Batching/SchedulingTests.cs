using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SentenceMtl.Server.Batching;

namespace SentenceMtl.Server.Tests.Batching;

/// <summary>How the worker shares itself: a large request is spread over batches so that a small one arriving meanwhile
/// is answered first, and a running batch whose clients all left stops.</summary>
public sealed class SchedulingTests : IDisposable
{
    private readonly TempFolder folder = new();
    private readonly string tiny;

    public SchedulingTests() => tiny = TinyModel.CreateFolder(Path.Combine(folder.Path, "tiny"));

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task A_small_request_is_answered_before_a_large_one_queued_earlier_finishes()
    {
        await using var server = new ServerFactory(new Dictionary<string, string>
        {
            ["Model"] = tiny, ["MaxBatchTokens"] = "16", ["MaxQueuedTokens"] = "10000000", ["MaxRequestTokens"] = "10000000",
        });
        await server.WaitUntilReadyAsync();
        using var client = server.CreateClient();
        var queue = server.Services.GetRequiredService<BatchingQueue>();
        using var reference = SentenceEncoder.FromPretrained(tiny);
        var texts = TinyModel.Sentences(40_000);

        var large = queue.EmbedAsync(texts.Select(reference.Tokenize).ToArray(), EncodeOptions.Default, 0, CancellationToken.None);
        var small = await client.PostAsJsonAsync("/v1/embeddings", new { input = "the team won", model = "tiny" });
        bool largeDoneFirst = large.IsCompleted;
        var vectors = await large;

        small.EnsureSuccessStatusCode();
        Assert.False(largeDoneFirst, "the small request waited for the whole large one");
        using var body = JsonDocument.Parse(await small.Content.ReadAsStringAsync());
        Assert.Equal(reference.Encode("the team won"),
            body.RootElement.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray());
        // Spread over many batches, the large request still gets exactly its own vectors.
        Assert.Equal(reference.Encode(texts), vectors);
    }

    [Fact]
    public async Task A_running_batch_stops_when_its_only_client_leaves()
    {
        await using var server = new ServerFactory(new Dictionary<string, string>
        {
            ["Model"] = tiny, ["MaxBatchTokens"] = "100000000", ["MaxQueuedTokens"] = "100000000", ["MaxRequestTokens"] = "100000000",
        });
        await server.WaitUntilReadyAsync();
        using var client = server.CreateClient();
        var queue = server.Services.GetRequiredService<BatchingQueue>();
        using var reference = SentenceEncoder.FromPretrained(tiny);
        var texts = TinyModel.Sentences(60_000);
        var ids = texts.Select(reference.Tokenize).ToArray();

        // The whole request is one batch (one Encode call): first run to the end, then cancelled 100 ms in.
        var full = Stopwatch.StartNew();
        await queue.EmbedAsync(ids, EncodeOptions.Default, 0, CancellationToken.None);
        full.Stop();
        using var leaving = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var stopped = Stopwatch.StartNew();
        var cancelled = queue.EmbedAsync(ids, EncodeOptions.Default, 0, leaving.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        (await client.PostAsJsonAsync("/v1/embeddings", new { input = "the team won", model = "tiny" })).EnsureSuccessStatusCode();
        stopped.Stop();

        // The next request was answered long before the abandoned batch would have ended.
        Assert.True(stopped.Elapsed < full.Elapsed / 2, $"full batch {full.Elapsed.TotalMilliseconds:0} ms, cancelled + next {stopped.Elapsed.TotalMilliseconds:0} ms");
    }
}
