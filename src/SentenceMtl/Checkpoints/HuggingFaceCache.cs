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

    /// <summary>The cache folder of repository <paramref name="repoId"/>.</summary>
    public static string RepoDirectory(string repoId) =>
        Path.Combine(HubCacheDirectory, "models--" + repoId.Replace("/", "--", StringComparison.Ordinal));

    /// <summary>The snapshot folder for <paramref name="repoId"/> at <paramref name="revision"/>, or null if not cached.</summary>
    public static string? FindSnapshot(string repoId, string revision = "main")
    {
        string repo = RepoDirectory(repoId);
        string snapshots = Path.Combine(repo, "snapshots");
        if (!Directory.Exists(snapshots))
        {
            return null;
        }

        string refFile = Path.Combine(repo, "refs", revision);
        string commit = File.Exists(refFile) ? File.ReadAllText(refFile).Trim() : revision;
        string snapshot = Path.Combine(snapshots, commit);
        return Directory.Exists(snapshot) ? snapshot : null;
    }
}
