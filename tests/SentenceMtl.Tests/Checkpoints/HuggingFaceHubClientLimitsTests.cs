using System.Diagnostics;
using SentenceMtl.Checkpoints;

namespace SentenceMtl.Tests.Checkpoints;

/// <summary>
/// Downloads that would never end: a body longer than announced, no announced size, a trickle, a cancellation, a full
/// disk. Each stops promptly with the documented exception, bounded in bytes, and leaves no partial file it should not.
/// </summary>
public sealed partial class HuggingFaceHubClientTests
{
    private const string WeightsFile = "model.safetensors";

    private string RepoDir => Path.Combine(CacheDir, "models--test-org--tiny-st");

    private string[] Partials() =>
        Directory.Exists(RepoDir) ? Directory.GetFiles(RepoDir, "*.incomplete", SearchOption.AllDirectories) : [];

    [Fact]
    public void A_body_longer_than_announced_is_cut_at_the_announced_size_and_removed()
    {
        hub.AddRepo(RepoId).Commit(Files());
        hub.Endless[WeightsFile] = true;

        for (int call = 0; call < 2; call++)                                                    // the next call does not grow it either
        {
            var clock = Stopwatch.StartNew();
            var ex = Assert.ThrowsAny<HttpRequestException>(() => Client().DownloadModel(RepoId));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
            Assert.Contains($"more than the {Weights.Length} bytes it announced", ex.Message, StringComparison.Ordinal);
            Assert.Empty(Partials());
            Assert.False(File.Exists(Path.Combine(RepoDir, "blobs", FakeRepo.Sha256(Weights))));
        }

        // The client stops reading one buffer past the announced size; what the server got into socket buffers is small.
        Assert.True(hub.BodyBytesSent < 64L << 20, $"{hub.BodyBytesSent} bytes were sent");
    }

    [Fact]
    public void A_body_of_unknown_size_stops_at_MaxFileBytes_and_is_removed()
    {
        hub.AddRepo(RepoId).Commit(Files());
        hub.UnknownSize[WeightsFile] = true;
        hub.Endless[WeightsFile] = true;

        var ex = Assert.ThrowsAny<HttpRequestException>(() => new HuggingFaceHubClient(Options() with { MaxFileBytes = 1 << 20 }).DownloadModel(RepoId));

        Assert.Contains("HubDownloadOptions.MaxFileBytes", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Partials());
        Assert.True(hub.BodyBytesSent < 64L << 20, $"{hub.BodyBytesSent} bytes were sent");
    }

    [Fact]
    public void A_body_of_unknown_size_below_the_cap_downloads()
    {
        hub.AddRepo(RepoId).Commit(Files());
        hub.UnknownSize[WeightsFile] = true;

        string snapshot = new HuggingFaceHubClient(Options() with { MaxFileBytes = 1 << 20 }).DownloadModel(RepoId);

        Assert.Equal(Weights, File.ReadAllBytes(Path.Combine(snapshot, WeightsFile)));
    }

    [Fact]
    public void An_announced_size_above_MaxFileBytes_is_refused_before_downloading()
    {
        hub.AddRepo(RepoId).Commit(Files());

        var ex = Assert.ThrowsAny<HttpRequestException>(() => new HuggingFaceHubClient(Options() with { MaxFileBytes = 1000 }).DownloadModel(RepoId));

        Assert.Contains($"announced {Weights.Length} bytes", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(hub.Gets, r => r.Target.StartsWith("/cdn/", StringComparison.Ordinal));
    }

    [Fact]
    public void A_download_past_its_deadline_stops_and_resumes_next_time()
    {
        hub.AddRepo(RepoId).Commit(Files());
        hub.TrickleDelayMs[WeightsFile] = 50;                                                   // ~20 KiB/s: 15 s for the file

        var clock = Stopwatch.StartNew();
        var ex = Assert.ThrowsAny<HttpRequestException>(() =>
            new HuggingFaceHubClient(Options() with { DownloadTimeout = TimeSpan.FromSeconds(1) }).DownloadModel(RepoId));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Contains("HubDownloadOptions.DownloadTimeout", ex.Message, StringComparison.Ordinal);
        string partial = Assert.Single(Partials());
        long kept = new FileInfo(partial).Length;
        Assert.InRange(kept, 1, Weights.Length - 1);

        hub.TrickleDelayMs.TryRemove(WeightsFile, out _);
        string snapshot = Client().DownloadModel(RepoId);
        Assert.Equal(Weights, File.ReadAllBytes(Path.Combine(snapshot, WeightsFile)));
        Assert.Contains(hub.Gets, r => r.Header("Range") == $"bytes={kept}-");
    }

    [Fact]
    public async Task Cancelling_stops_promptly_and_leaves_no_partial_file()
    {
        hub.AddRepo(RepoId).Commit(Files());
        hub.TrickleDelayMs[WeightsFile] = 50;
        using var cancel = new CancellationTokenSource();

        var download = Client().DownloadModelAsync(RepoId, cancel.Token);
        var clock = Stopwatch.StartNew();
        while (Partials().Length == 0 && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(20);                                                               // until the weights are arriving
        }

        await Task.Delay(200);
        Assert.InRange(new FileInfo(Assert.Single(Partials())).Length, 1, Weights.Length - 1);
        clock.Restart();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => download);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed} to stop");
        Assert.Empty(Partials());
    }

    [Fact]
    public async Task FromPretrainedAsync_is_cancelled_through_the_download()
    {
        string source = TinyModel.CreateFolder(Path.Combine(temp.Path, "source"));
        var files = Directory.GetFiles(source).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes, StringComparer.Ordinal);
        hub.AddRepo("test-org/tiny-bert").Commit(files);
        hub.TrickleDelayMs[WeightsFile] = 200;                                                  // 5 KiB/s: many seconds for the weights
        using var env = new EnvironmentScope(("HF_ENDPOINT", hub.Endpoint.ToString()), ("HF_HUB_CACHE", CacheDir), ("HF_TOKEN", null),
            ("HF_HUB_OFFLINE", null));
        using var cancel = new CancellationTokenSource();

        var clock = Stopwatch.StartNew();
        var load = SentenceEncoder.FromPretrainedAsync("test-org/tiny-bert", null, cancel.Token);
        while (!hub.Gets.Any(r => r.Target.StartsWith("/cdn/", StringComparison.Ordinal)) && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(20);                                                               // until the weights are on their way
        }

        await Task.Delay(300);
        Assert.NotEmpty(Directory.GetFiles(CacheDir, "*.incomplete", SearchOption.AllDirectories));
        clock.Restart();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => load);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed} to stop");
        Assert.Empty(Directory.GetFiles(CacheDir, "*.incomplete", SearchOption.AllDirectories));

        hub.TrickleDelayMs.TryRemove(WeightsFile, out _);
        using var encoder = await SentenceEncoder.FromPretrainedAsync("test-org/tiny-bert", null, CancellationToken.None);
        Assert.Equal(32, encoder.Dimension);
    }

    [SkippableFact]
    public void A_full_disk_fails_with_an_IOException_and_removes_the_partial_file()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && File.Exists("/dev/full"), "needs /dev/full (Linux) to fill a disk");
        hub.AddRepo(RepoId).Commit(Files());
        // The blob's partial file is a link to /dev/full, where every write fails with ENOSPC.
        string partial = Path.Combine(RepoDir, "blobs", FakeRepo.Sha256(Weights) + ".incomplete");
        Directory.CreateDirectory(Path.GetDirectoryName(partial)!);
        File.CreateSymbolicLink(partial, "/dev/full");

        var ex = Assert.ThrowsAny<IOException>(() => Client().DownloadModel(RepoId));

        Assert.Contains("Free some space", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(partial) || new FileInfo(partial).LinkTarget is not null);
        Assert.True(File.Exists("/dev/full"));
    }

    [Fact]
    public void A_ref_that_is_not_a_commit_hash_leads_nowhere()
    {
        using var env = new EnvironmentScope(("HF_HUB_CACHE", CacheDir));
        string repo = HuggingFaceCache.RepoDirectory("org/model");
        string commit = new('a', 40);
        Directory.CreateDirectory(Path.Combine(repo, "snapshots", commit));
        Directory.CreateDirectory(Path.Combine(repo, "refs"));

        File.WriteAllText(Path.Combine(repo, "refs", "main"), "../../..");
        Assert.Null(HuggingFaceCache.FindSnapshot("org/model"));
        File.WriteAllText(Path.Combine(repo, "refs", "main"), "../snapshots/" + commit);
        Assert.Null(HuggingFaceCache.FindSnapshot("org/model"));

        File.WriteAllText(Path.Combine(repo, "refs", "main"), commit + "\n");
        Assert.Equal(Path.Combine(repo, "snapshots", commit), HuggingFaceCache.FindSnapshot("org/model"));
        Assert.Equal(Path.Combine(repo, "snapshots", commit), HuggingFaceCache.FindSnapshot("org/model", commit));
    }
}
