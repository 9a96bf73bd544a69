using SentenceMtl.Checkpoints;

namespace SentenceMtl.Tests.Checkpoints;

/// <summary>
/// The hub client against <see cref="FakeHubServer"/> on 127.0.0.1. Most tests pass the endpoint and cache explicitly;
/// the few that go through <c>FromPretrained</c> set HF_* environment variables, so the class runs alone.
/// </summary>
[Collection(Name)]
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed partial class HuggingFaceHubClientTests : IDisposable
{
    private const string Name = "HuggingFaceHub (environment variables)";
    private const string RepoId = "test-org/tiny-st";

    private static readonly byte[] Weights = [.. Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7919 >> 3))];

    private readonly FakeHubServer hub = new();
    private readonly TempFolder temp = new();

    private string CacheDir => Path.Combine(temp.Path, "hub");

    public void Dispose()
    {
        hub.Dispose();
        temp.Dispose();
    }

    [Fact]
    public void A_fresh_download_lays_out_blobs_snapshots_and_refs_like_huggingface_hub()
    {
        string commit = hub.AddRepo(RepoId).Commit(Files());

        string snapshot = Client().DownloadModel(RepoId);

        string repoDir = Path.Combine(CacheDir, "models--test-org--tiny-st");
        Assert.Equal(Path.Combine(repoDir, "snapshots", commit), snapshot);
        Assert.Equal(commit, File.ReadAllText(Path.Combine(repoDir, "refs", "main")));
        foreach (var (file, content) in Files())
        {
            string path = Path.Combine(snapshot, file);
            Assert.Equal(content, File.ReadAllBytes(path));
            string etag = file == "model.safetensors" ? FakeRepo.Sha256(content) : FakeRepo.GitBlobSha1(content);
            Assert.True(File.Exists(Path.Combine(repoDir, "blobs", etag)), file);
            if (!OperatingSystem.IsWindows())
            {
                string up = string.Concat(Enumerable.Repeat("../", 2 + file.Count(c => c == '/')));
                Assert.Equal($"{up}blobs/{etag}", new FileInfo(path).LinkTarget);
            }
        }

        Assert.True(File.Exists(Path.Combine(repoDir, ".no_exist", commit, "tokenizer_config.json")));
        Assert.Empty(Directory.GetFiles(repoDir, "*.incomplete", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(repoDir, "*.tmp-*", SearchOption.AllDirectories));
        Assert.Equal(Files().Count, hub.Gets.Count());
        Assert.All(hub.Gets.Where(r => !r.Target.StartsWith("/cdn/", StringComparison.Ordinal)),
            r => Assert.StartsWith($"/{RepoId}/resolve/{commit}/", r.Target, StringComparison.Ordinal));
    }

    [Fact]
    public void Large_files_come_from_the_CDN_address_the_HEAD_redirect_names()
    {
        hub.AddRepo(RepoId).Commit(Files());

        Client().DownloadModel(RepoId);

        var weights = Assert.Single(hub.Gets, r => r.Target.StartsWith("/cdn/", StringComparison.Ordinal));
        Assert.Equal($"/cdn/{FakeRepo.Sha256(Weights)}", weights.Target);
        Assert.DoesNotContain(hub.Gets, r => r.Target.Contains("model.safetensors", StringComparison.Ordinal));
    }

    [Fact]
    public void A_second_call_asks_one_HEAD_for_the_branch_and_downloads_nothing()
    {
        hub.AddRepo(RepoId).Commit(Files());
        string first = Client().DownloadModel(RepoId);
        hub.Requests.Clear();

        string second = Client().DownloadModel(RepoId);

        Assert.Equal(first, second);
        Assert.Empty(hub.Gets);
        Assert.Equal($"/{RepoId}/resolve/main/modules.json", Assert.Single(hub.Requests).Target);
    }

    [Fact]
    public void A_new_commit_on_the_branch_is_downloaded_and_unchanged_blobs_are_reused()
    {
        var repo = hub.AddRepo(RepoId);
        repo.Commit(Files());
        string first = Client().DownloadModel(RepoId);
        var changed = Files();
        changed["config.json"] = System.Text.Encoding.UTF8.GetBytes("""{"model_type": "bert", "hidden_size": 64}""");
        string commit = repo.Commit(changed);
        hub.Requests.Clear();

        string second = Client().DownloadModel(RepoId);

        Assert.NotEqual(first, second);
        Assert.EndsWith(commit, second, StringComparison.Ordinal);
        Assert.Equal($"/{RepoId}/resolve/{commit}/config.json", Assert.Single(hub.Gets).Target);
        Assert.Equal(changed["config.json"], File.ReadAllBytes(Path.Combine(second, "config.json")));
        Assert.Equal(commit, File.ReadAllText(Path.Combine(CacheDir, "models--test-org--tiny-st", "refs", "main")));
    }

    [Fact]
    public void A_commit_revision_is_downloaded_as_asked_and_then_served_without_any_request()
    {
        var repo = hub.AddRepo(RepoId);
        string old = repo.Commit(Files());
        var newer = Files();
        newer["vocab.txt"] = System.Text.Encoding.UTF8.GetBytes("[PAD]\n[UNK]\nnewer\n");
        repo.Commit(newer);

        string snapshot = Client().DownloadModel($"{RepoId}@{old}");
        Assert.EndsWith(old, snapshot, StringComparison.Ordinal);
        Assert.Equal(Files()["vocab.txt"], File.ReadAllBytes(Path.Combine(snapshot, "vocab.txt")));
        Assert.All(hub.Requests.Where(r => !r.Target.StartsWith("/cdn/", StringComparison.Ordinal)),
            r => Assert.Contains($"/resolve/{old}/", r.Target, StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(CacheDir, "models--test-org--tiny-st", "refs")));
        hub.Requests.Clear();

        Assert.Equal(snapshot, Client().DownloadModel($"{RepoId}@{old}"));
        Assert.Empty(hub.Requests);
    }

    [Fact]
    public void A_tag_revision_is_resolved_and_recorded_in_refs()
    {
        var repo = hub.AddRepo(RepoId);
        string tagged = repo.Commit(Files(), "v1.0");
        repo.Commit(Files());

        string snapshot = Client().DownloadModel($"{RepoId}@v1.0");

        Assert.EndsWith(tagged, snapshot, StringComparison.Ordinal);
        Assert.Equal(tagged, File.ReadAllText(Path.Combine(CacheDir, "models--test-org--tiny-st", "refs", "v1.0")));
        Assert.Contains(hub.Heads, r => r.Target == $"/{RepoId}/resolve/v1.0/modules.json");
    }

    [Fact]
    public void An_unknown_revision_is_reported_as_such()
    {
        hub.AddRepo(RepoId).Commit(Files());

        var ex = Assert.Throws<ModelFormatException>(() => Client().DownloadModel($"{RepoId}@no-such-branch"));

        Assert.Contains("revision 'no-such-branch' not found", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_token_goes_to_the_hub_but_never_to_the_CDN()
    {
        hub.AddRepo(RepoId, requiredToken: "hf_secret").Commit(Files());

        Client(token: "hf_secret").DownloadModel(RepoId);

        var toHub = hub.Requests.Where(r => r.Target.Contains("/resolve/", StringComparison.Ordinal)).ToList();
        var toCdn = hub.Requests.Where(r => r.Target.StartsWith("/cdn/", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(toHub);
        Assert.All(toHub, r => Assert.Equal("Bearer hf_secret", r.Header("Authorization")));
        Assert.NotEmpty(toCdn);
        Assert.All(toCdn, r => Assert.Null(r.Header("Authorization")));
    }

    [Fact]
    public void A_gated_repository_without_a_token_asks_for_HF_TOKEN()
    {
        hub.AddRepo(RepoId, requiredToken: "hf_secret").Commit(Files());

        var ex = Assert.Throws<ModelFormatException>(() => Client().DownloadModel(RepoId));

        Assert.Contains("HTTP 401", ex.Message, StringComparison.Ordinal);
        Assert.Contains("HF_TOKEN", ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(CacheDir, "models--test-org--tiny-st", "snapshots")));
    }

    [Fact]
    public void Offline_mode_serves_the_cache_and_never_touches_the_network()
    {
        hub.AddRepo(RepoId).Commit(Files());
        string snapshot = Client().DownloadModel(RepoId);
        hub.Requests.Clear();

        Assert.Equal(snapshot, new HuggingFaceHubClient(Options() with { Offline = true }).DownloadModel(RepoId));

        Assert.Empty(hub.Requests);
    }

    [Fact]
    public void Offline_mode_without_a_cached_snapshot_fails_without_asking_the_hub()
    {
        hub.AddRepo(RepoId).Commit(Files());

        var ex = Assert.Throws<ModelFormatException>(() => new HuggingFaceHubClient(Options() with { Offline = true }).DownloadModel(RepoId));

        Assert.Contains("HF_HUB_OFFLINE", ex.Message, StringComparison.Ordinal);
        Assert.Empty(hub.Requests);
    }

    [Fact]
    public void When_the_hub_cannot_be_reached_the_cached_snapshot_of_the_branch_is_used()
    {
        hub.AddRepo(RepoId).Commit(Files());
        string snapshot = Client().DownloadModel(RepoId);
        hub.Dispose();

        Assert.Equal(snapshot, Client().DownloadModel(RepoId));
    }

    [Fact]
    public void When_the_hub_cannot_be_reached_and_nothing_is_cached_the_error_says_so()
    {
        hub.Dispose();

        // The resolver tells "the hub could not be asked" (a ModelNotFoundException) from a failed transfer by this type.
        var ex = Assert.Throws<HuggingFaceHubClient.HubUnreachableException>(() => Client().DownloadModel(RepoId));

        Assert.IsAssignableFrom<HttpRequestException>(ex);
        Assert.Contains("Could not reach the Hugging Face hub", ex.Message, StringComparison.Ordinal);
        Assert.Contains("No complete snapshot", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Optional_files_the_hub_lacks_are_skipped_and_remembered()
    {
        var files = Files();
        files.Remove("modules.json");
        files.Remove("sentence_bert_config.json");
        files.Remove("1_Pooling/config.json");
        string commit = hub.AddRepo(RepoId).Commit(files);

        string snapshot = Client().DownloadModel(RepoId);

        Assert.Equal(["config.json", "model.safetensors", "vocab.txt"], Directory.GetFiles(snapshot).Select(Path.GetFileName).Order());
        string noExist = Path.Combine(CacheDir, "models--test-org--tiny-st", ".no_exist", commit);
        Assert.True(File.Exists(Path.Combine(noExist, "modules.json")));
        Assert.True(File.Exists(Path.Combine(noExist, "1_Pooling", "config.json")));
    }

    [Fact]
    public void Weights_fall_back_to_pytorch_model_bin()
    {
        var files = Files();
        files["pytorch_model.bin"] = files["model.safetensors"];
        files.Remove("model.safetensors");
        hub.AddRepo(RepoId).Commit(files);

        string snapshot = Client().DownloadModel(RepoId);

        Assert.True(File.Exists(Path.Combine(snapshot, "pytorch_model.bin")));
    }

    [Fact]
    public void A_missing_required_file_fails_clearly_and_leaves_no_snapshot()
    {
        var files = Files();
        files.Remove("vocab.txt");
        hub.AddRepo(RepoId).Commit(files);

        var ex = Assert.Throws<ModelFormatException>(() => Client().DownloadModel(RepoId));

        Assert.Contains("vocab.txt", ex.Message, StringComparison.Ordinal);
        Assert.Contains("HTTP 404", ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(CacheDir, "models--test-org--tiny-st", "snapshots")));
    }

    [Fact]
    public void Missing_weights_name_both_files_looked_for()
    {
        var files = Files();
        files.Remove("model.safetensors");
        hub.AddRepo(RepoId).Commit(files);

        var ex = Assert.Throws<ModelFormatException>(() => Client().DownloadModel(RepoId));

        Assert.Contains("model.safetensors, then pytorch_model.bin", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_repository_is_reported_as_not_found()
    {
        var ex = Assert.Throws<ModelFormatException>(() => Client().DownloadModel("nobody/nothing"));

        Assert.Contains("repository nobody/nothing not found", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_renamed_repository_is_followed_through_its_relative_redirect()
    {
        string commit = hub.AddRepo("new-org/tiny-st").Commit(Files());
        hub.Renamed["old-org/tiny-st"] = "new-org/tiny-st";

        string snapshot = Client().DownloadModel("old-org/tiny-st");

        Assert.Equal(Path.Combine(CacheDir, "models--old-org--tiny-st", "snapshots", commit), snapshot);
        Assert.Equal(Files()["config.json"], File.ReadAllBytes(Path.Combine(snapshot, "config.json")));
    }

    [Fact]
    public void A_dropped_connection_keeps_the_partial_blob_and_the_next_call_resumes_with_Range()
    {
        string commit = hub.AddRepo(RepoId).Commit(Files());
        hub.DropOnce["model.safetensors"] = 100_000;
        string blob = Path.Combine(CacheDir, "models--test-org--tiny-st", "blobs", FakeRepo.Sha256(Weights));

        var ex = Assert.Throws<HttpRequestException>(() => Client().DownloadModel(RepoId));

        Assert.Contains("interrupted after 100000 of 300000 bytes", ex.Message, StringComparison.Ordinal);
        Assert.Equal(100_000, new FileInfo(blob + ".incomplete").Length);
        Assert.False(File.Exists(blob));
        Assert.False(Directory.Exists(Path.Combine(CacheDir, "models--test-org--tiny-st", "snapshots", commit)));
        hub.Requests.Clear();

        string snapshot = Client().DownloadModel(RepoId);

        var resumed = Assert.Single(hub.Gets, r => r.Target.StartsWith("/cdn/", StringComparison.Ordinal));
        Assert.Equal("bytes=100000-", resumed.Header("Range"));
        Assert.Equal(Weights, File.ReadAllBytes(Path.Combine(snapshot, "model.safetensors")));
        Assert.False(File.Exists(blob + ".incomplete"));
    }

    [Fact]
    public void A_size_other_than_the_announced_one_fails_and_stores_nothing()
    {
        hub.AddRepo(RepoId).Commit(Files());
        hub.AnnouncedSize["model.safetensors"] = Weights.Length + 10;

        var ex = Assert.Throws<HttpRequestException>(() => Client().DownloadModel(RepoId));

        Assert.Contains("Consistency check failed", ex.Message, StringComparison.Ordinal);
        string repoDir = Path.Combine(CacheDir, "models--test-org--tiny-st");
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(repoDir, "blobs")), f => Path.GetFileName(f).StartsWith(FakeRepo.Sha256(Weights), StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(repoDir, "snapshots")));
    }

    [Fact]
    public void An_LFS_file_whose_SHA256_is_not_its_etag_is_rejected()
    {
        hub.AddRepo(RepoId).Commit(Files());
        hub.CorruptOnce["model.safetensors"] = true;

        var ex = Assert.Throws<HttpRequestException>(() => Client().DownloadModel(RepoId));

        Assert.Contains("SHA-256", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.Combine(CacheDir, "models--test-org--tiny-st", "blobs"), FakeRepo.Sha256(Weights) + "*"));
        Assert.Equal(Weights, File.ReadAllBytes(Path.Combine(Client().DownloadModel(RepoId), "model.safetensors")));
    }

    [Fact]
    public async Task Concurrent_downloads_of_one_model_share_the_cache_safely()
    {
        string commit = hub.AddRepo(RepoId).Commit(Files());

        string[] snapshots = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Client().DownloadModelAsync(RepoId)));

        Assert.All(snapshots, s => Assert.EndsWith(commit, s, StringComparison.Ordinal));
        Assert.Equal(Weights, File.ReadAllBytes(Path.Combine(snapshots[0], "model.safetensors")));
        Assert.Empty(Directory.GetFiles(Path.Combine(CacheDir, "models--test-org--tiny-st"), "*.incomplete", SearchOption.AllDirectories));
    }

    [Fact]
    public void Cancellation_is_honoured()
    {
        hub.AddRepo(RepoId).Commit(Files());

        Assert.ThrowsAny<OperationCanceledException>(() => Client().DownloadModel(RepoId, new CancellationToken(canceled: true)));
    }

    [Theory]
    [InlineData("sentence-transformers/all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2", "main")]
    [InlineData("org/name@v1.0", "org/name", "v1.0")]
    [InlineData("org/name@refs/pr/1", "org/name", "refs/pr/1")]
    [InlineData("org/name@0123456789abcdef0123456789abcdef01234567", "org/name", "0123456789abcdef0123456789abcdef01234567")]
    public void Model_ids_parse_into_repository_and_revision(string id, string repoId, string revision)
    {
        Assert.True(HubModelReference.TryParse(id, out var reference));
        Assert.Equal((repoId, revision), (reference.RepoId, reference.Revision));
    }

    [Theory]
    [InlineData("all-MiniLM-L6-v2")]
    [InlineData("a/b/c")]
    [InlineData("../models")]
    [InlineData("org/na me")]
    [InlineData("org--x/name")]
    [InlineData("org/name@")]
    [InlineData("org/name@../../etc")]
    [InlineData("/abs/path")]
    public void Paths_and_bad_ids_are_not_model_ids(string id) => Assert.False(HubModelReference.TryParse(id, out _));

    [Fact]
    public void Defaults_come_from_the_environment_like_huggingface_hub()
    {
        using var env = new EnvironmentScope(("HF_ENDPOINT", "http://mirror.example:8080"), ("HF_TOKEN", "hf_env"), ("HF_HUB_OFFLINE", "1"),
            ("HF_HUB_CACHE", CacheDir));

        var options = new HubDownloadOptions();

        Assert.Equal(new Uri("http://mirror.example:8080"), options.Endpoint);
        Assert.Equal("hf_env", options.Token);
        Assert.True(options.Offline);
        Assert.Equal(CacheDir, options.CacheDirectory);
    }

    [Fact]
    public void FromPretrained_downloads_an_unknown_repo_id_and_embeds_like_the_local_folder()
    {
        string source = TinyModel.CreateFolder(Path.Combine(temp.Path, "source"));
        var files = Directory.GetFiles(source).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes, StringComparer.Ordinal);
        files["modules.json"] = Files()["modules.json"];
        files["1_Pooling/config.json"] = Files()["1_Pooling/config.json"];
        Directory.CreateDirectory(Path.Combine(source, "1_Pooling"));
        File.WriteAllBytes(Path.Combine(source, "modules.json"), files["modules.json"]);
        File.WriteAllBytes(Path.Combine(source, "1_Pooling", "config.json"), files["1_Pooling/config.json"]);
        hub.AddRepo("test-org/tiny-bert").Commit(files);
        using var env = new EnvironmentScope(("HF_ENDPOINT", hub.Endpoint.ToString()), ("HF_HUB_CACHE", CacheDir), ("HF_TOKEN", null),
            ("HF_HUB_OFFLINE", null));

        using var downloaded = SentenceEncoder.FromPretrained("test-org/tiny-bert");
        using var local = SentenceEncoder.FromPretrained(source);

        Assert.Equal(local.Encode("the team won the match"), downloaded.Encode("the team won the match"));
        Assert.Equal((PoolingStrategy.Cls, true), (downloaded.Pooling, downloaded.Normalize));
        Assert.True(Directory.Exists(Path.Combine(CacheDir, "models--test-org--tiny-bert", "snapshots")));
    }

    [Fact]
    public void FromPretrained_of_a_repo_the_hub_lacks_lists_everything_looked_for()
    {
        using var env = new EnvironmentScope(("HF_ENDPOINT", hub.Endpoint.ToString()), ("HF_HUB_CACHE", CacheDir), ("HF_TOKEN", null),
            ("HF_HUB_OFFLINE", null));

        var ex = Assert.Throws<ModelNotFoundException>(() => SentenceEncoder.FromPretrained("nobody/nothing"));

        Assert.Contains("a folder at that path", ex.Message, StringComparison.Ordinal);
        Assert.Contains("models--nobody--nothing", ex.Message, StringComparison.Ordinal);
        Assert.Contains("an embedded model", ex.Message, StringComparison.Ordinal);
        Assert.Contains("repository nobody/nothing not found", ex.Message, StringComparison.Ordinal);
    }

    private HubDownloadOptions Options() => new()
    {
        Endpoint = hub.Endpoint,
        CacheDirectory = CacheDir,
        Token = null,
        Offline = false,
        RequestTimeout = TimeSpan.FromSeconds(10),
        ReadTimeout = TimeSpan.FromSeconds(10),
    };

    private HuggingFaceHubClient Client(string? token = null) => new(Options() with { Token = token });

    /// <summary>A sentence-transformers repository with dummy contents (the client does not parse them).</summary>
    private static Dictionary<string, byte[]> Files() => new(StringComparer.Ordinal)
    {
        ["modules.json"] = Utf8("""
            [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
             {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
             {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}]
            """),
        ["config.json"] = Utf8("""{"model_type": "bert", "hidden_size": 32}"""),
        ["vocab.txt"] = Utf8("[PAD]\n[UNK]\n[CLS]\n[SEP]\n"),
        ["sentence_bert_config.json"] = Utf8("""{"max_seq_length": 64, "do_lower_case": false}"""),
        ["1_Pooling/config.json"] = Utf8("""{"word_embedding_dimension": 32, "pooling_mode_cls_token": true}"""),
        ["model.safetensors"] = Weights,
    };

    private static byte[] Utf8(string text) => System.Text.Encoding.UTF8.GetBytes(text);
}
