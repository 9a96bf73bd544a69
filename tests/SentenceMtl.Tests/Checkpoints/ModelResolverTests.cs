using SentenceMtl.Checkpoints;

namespace SentenceMtl.Tests.Checkpoints;

/// <summary>
/// A model name that is no folder: a string that can only be a path says there is no folder at its full path and asks
/// no one else; an <c>org/name</c> that is no folder either is still tried as a hub id, and every failure names both.
/// Runs in the hub tests' collection, as it sets HF_* environment variables.
/// </summary>
[Collection("HuggingFaceHub (environment variables)")]
public sealed class ModelResolverTests : IDisposable
{
    private readonly FakeHubServer hub = new();
    private readonly TempFolder temp = new();

    public void Dispose()
    {
        hub.Dispose();
        temp.Dispose();
    }

    [Theory]
    [InlineData("./models/my-encoder")]
    [InlineData("models/sub/my-encoder")]
    [InlineData("models/my-encoder/")]
    [InlineData("../my-encoder")]
    [InlineData("/nonexistent-sentencemtl/my-encoder")]
    public void A_path_that_is_no_folder_says_so_with_its_full_path_and_asks_no_hub(string path)
    {
        using var env = HubEnvironment(offline: false);

        var ex = Assert.Throws<ModelNotFoundException>(() => SentenceEncoder.FromPretrained(path));

        Assert.Contains($"there is no folder at {Path.GetFullPath(path)}", ex.Message, StringComparison.Ordinal);
        if (!Path.IsPathFullyQualified(path))
        {
            Assert.Contains($"relative to the current directory {Environment.CurrentDirectory}", ex.Message, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("HTTP", ex.Message, StringComparison.Ordinal);
        Assert.Empty(hub.Requests);
    }

    [Fact]
    public void A_tilde_path_says_the_tilde_is_not_expanded()
    {
        using var env = HubEnvironment(offline: false);

        var ex = Assert.Throws<ModelNotFoundException>(() => SentenceEncoder.FromPretrained("~/models/my-encoder"));

        Assert.Contains("'~' is not expanded", ex.Message, StringComparison.Ordinal);
        Assert.Empty(hub.Requests);
    }

    [Fact]
    public void An_org_name_that_is_no_folder_and_an_unreachable_hub_names_both()
    {
        using var env = HubEnvironment(offline: false);
        hub.Dispose();                                                                          // connections refused, as with the network down

        var ex = Assert.Throws<ModelNotFoundException>(() => SentenceEncoder.FromPretrained("models/my-encoder"));

        Assert.Contains($"no folder at {Path.GetFullPath("models/my-encoder")}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("models--models--my-encoder", ex.Message, StringComparison.Ordinal);
        Assert.Contains("which could not be reached to ask (Could not reach the Hugging Face hub", ex.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<HttpRequestException>(ex.InnerException);                      // the transfer error, for callers that retry
    }

    [Fact]
    public void A_mistyped_path_suggests_the_closest_sibling_folder()
    {
        TinyModel.CreateFolder(Path.Combine(temp.Path, "models", "news-classifier"));
        Directory.CreateDirectory(Path.Combine(temp.Path, "models", "unrelated"));
        using var env = HubEnvironment(offline: false);
        string typo = Path.Combine(temp.Path, "models", "news-clasifier");

        var ex = Assert.Throws<ModelNotFoundException>(() => SentenceEncoder.FromPretrained(typo));
        var load = Assert.Throws<ModelNotFoundException>(() => MultiTaskModel.Load(typo));
        var far = Assert.Throws<ModelNotFoundException>(() => SentenceEncoder.FromPretrained(Path.Combine(temp.Path, "models", "zzzzzzzz")));

        string expected = Path.Combine(temp.Path, "models", "news-classifier");
        Assert.Equal(expected, ex.Suggestion);
        Assert.Contains($"Did you mean '{expected}'?", ex.Message, StringComparison.Ordinal);
        Assert.Equal(expected, load.Suggestion);
        Assert.Contains("no saved model folder here", load.Message, StringComparison.Ordinal);
        Assert.Null(far.Suggestion);
        Assert.DoesNotContain("Did you mean", far.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<ModelFormatException>(ex);                                     // existing catch sites still catch it
        Assert.Empty(hub.Requests);
    }

    [Fact]
    public void A_mistyped_embedded_name_suggests_the_embedded_model_without_asking_the_hub()
    {
        using var env = HubEnvironment(offline: false);

        var ex = Assert.Throws<ModelNotFoundException>(() => SentenceEncoder.FromPretrained("all-MiniLM-L6-v3"));

        Assert.Equal("all-MiniLM-L6-v2", ex.Suggestion);
        Assert.Contains("no such model. Did you mean 'all-MiniLM-L6-v2'?", ex.Message, StringComparison.Ordinal);
        Assert.Empty(hub.Requests);                                                             // a bare name is no hub id
    }

    [Fact]
    public void A_mistyped_hub_id_gives_the_same_exception_whether_the_hub_says_no_or_cannot_be_reached()
    {
        using var env = HubEnvironment(offline: false);

        var lacking = Assert.Throws<ModelNotFoundException>(() => SentenceEncoder.FromPretrained("sentence-transformers/all-MiniLM-L6-v3"));
        hub.Dispose();
        var unreachable = Assert.Throws<ModelNotFoundException>(() => SentenceEncoder.FromPretrained("sentence-transformer/all-MiniLM-L6-v2"));

        Assert.Equal("sentence-transformers/all-MiniLM-L6-v2", lacking.Suggestion);          // the embedded model's hub id
        Assert.Contains("repository sentence-transformers/all-MiniLM-L6-v3 not found", lacking.Message, StringComparison.Ordinal);
        Assert.Equal("sentence-transformers/all-MiniLM-L6-v2", unreachable.Suggestion);
        Assert.IsAssignableFrom<HttpRequestException>(unreachable.InnerException);
    }

    [Fact]
    public void Edit_distance_counts_swaps_as_one_and_ignores_unrelated_names()
    {
        Assert.Equal(1, ModelSuggestions.Distance("abcd", "abdc"));
        Assert.Equal(3, ModelSuggestions.Distance("kitten", "sitting"));
        Assert.Equal("all-MiniLM-L6-v2", ModelSuggestions.Closest("ALL-minilm-l6-V3", ["snowflake-arctic-embed-xs", "all-MiniLM-L6-v2"]));
        Assert.Null(ModelSuggestions.Closest("bert-base", ["snowflake-arctic-embed-xs", "all-MiniLM-L6-v2"]));
    }

    [Fact]
    public void An_org_name_that_is_no_folder_and_that_the_hub_lacks_names_both()
    {
        using var env = HubEnvironment(offline: false);

        var ex = Assert.Throws<ModelNotFoundException>(() => SentenceEncoder.FromPretrained("models/my-encoder"));

        Assert.Contains($"no folder at {Path.GetFullPath("models/my-encoder")}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("repository models/my-encoder not found", ex.Message, StringComparison.Ordinal);
        Assert.NotEmpty(hub.Requests);
    }

    [Fact]
    public void An_org_name_that_is_no_folder_offline_names_both_and_HF_HUB_OFFLINE()
    {
        using var env = HubEnvironment(offline: true);

        var ex = Assert.Throws<ModelNotFoundException>(() => SentenceEncoder.FromPretrained("models/my-encoder"));

        Assert.Contains($"no folder at {Path.GetFullPath("models/my-encoder")}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("HF_HUB_OFFLINE", ex.Message, StringComparison.Ordinal);
        Assert.Empty(hub.Requests);
    }

    [Fact]
    public void A_relative_folder_that_exists_still_loads()
    {
        string model = TinyModel.CreateFolder(Path.Combine(temp.Path, "models", "my-encoder"));
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, model);
        using var env = HubEnvironment(offline: false);

        using var encoder = SentenceEncoder.FromPretrained(relative);

        Assert.Equal(32, encoder.Dimension);
        Assert.Empty(hub.Requests);
    }

    [Theory]
    [InlineData("./models/x", true)]
    [InlineData("~/models/x", true)]
    [InlineData("/models/x", true)]
    [InlineData("C:\\models\\x", true)]
    [InlineData("c:models", true)]
    [InlineData("models\\x", true)]
    [InlineData("models/x/", true)]
    [InlineData("a/b/c", true)]
    [InlineData("org/na me", true)]
    [InlineData("models/my-encoder", false)]
    [InlineData("org/name@refs/pr/1", false)]
    [InlineData("all-MiniLM-L6-v2", false)]
    [InlineData("my-encoder", false)]
    public void Strings_that_can_only_be_paths_are_judged_as_paths_first(string value, bool isPath) =>
        Assert.Equal(isPath, ModelResolver.LooksLikePath(value));

    private EnvironmentScope HubEnvironment(bool offline) => new(
        ("HF_ENDPOINT", hub.Endpoint.ToString()), ("HF_HUB_CACHE", Path.Combine(temp.Path, "hub")), ("HF_TOKEN", null),
        ("HF_HUB_OFFLINE", offline ? "1" : null), ("HF_HUB_ETAG_TIMEOUT", "5"));
}
