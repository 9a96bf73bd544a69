namespace SentenceMtl.Checkpoints;

/// <summary>
/// Finds a model snapshot in the standard Hugging Face hub cache:
/// <c>$HF_HUB_CACHE</c>, else <c>$HF_HOME/hub</c>, else <c>~/.cache/huggingface/hub</c>; inside it
/// <c>models--{org}--{name}/refs/{revision}</c> holds a commit hash naming <c>snapshots/{hash}/</c>.
/// </summary>
internal static class HuggingFaceCache
{
    /// <summary>The hub cache root this process uses.</summary>
    public static string HubCacheDirectory
    {
        get
        {
            if (Environment.GetEnvironmentVariable("HF_HUB_CACHE") is { Length: > 0 } hubCache)
            {
                return hubCache;
            }

            if (Environment.GetEnvironmentVariable("HF_HOME") is { Length: > 0 } home)
            {
                return Path.Combine(home, "hub");
            }

            string xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } x
                ? x
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(xdg, "huggingface", "hub");
        }
    }

    /// <summary>The ids (<c>org/name</c>) of the model repositories in the cache, for "did you mean"; none when it cannot be read.</summary>
    public static IEnumerable<string> CachedRepoIds()
    {
        const string Prefix = "models--";
        try
        {
            return !Directory.Exists(HubCacheDirectory) ? [] : [.. Directory.EnumerateDirectories(HubCacheDirectory, Prefix + "*")
                .Take(ModelSuggestions.MaxCandidates)
                .Select(folder => Path.GetFileName(folder)[Prefix.Length..])
                .Where(id => id.Contains("--", StringComparison.Ordinal))
                .Select(id => id[..id.IndexOf("--", StringComparison.Ordinal)] + "/" + id[(id.IndexOf("--", StringComparison.Ordinal) + 2)..])
                .Order(StringComparer.Ordinal)];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>The cache folder of repository <paramref name="repoId"/>.</summary>
    public static string RepoDirectory(string repoId) =>
        Path.Combine(HubCacheDirectory, "models--" + repoId.Replace("/", "--", StringComparison.Ordinal));

    /// <summary>
    /// The snapshot folder for <paramref name="repoId"/> at <paramref name="revision"/>, or null if not cached. A commit
    /// hash names its snapshot directly; a branch or tag goes through <c>refs/{revision}</c>, which must hold a commit
    /// hash (as <see cref="HubRepoCache.ReadRef"/> requires), so a damaged or hostile ref cannot point outside <c>snapshots/</c>.
    /// </summary>
    public static string? FindSnapshot(string repoId, string revision = "main")
    {
        var cache = new HubRepoCache(HubCacheDirectory, repoId);
        string? commit = HubModelReference.IsCommitHash(revision) ? revision : cache.ReadRef(revision);
        string? snapshot = commit is null ? null : cache.Snapshot(commit);
        return snapshot is not null && Directory.Exists(snapshot) ? snapshot : null;
    }
}
