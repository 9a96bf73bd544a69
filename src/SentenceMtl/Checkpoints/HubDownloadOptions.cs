using System.Globalization;

namespace SentenceMtl.Checkpoints;

/// <summary>
/// Settings of <see cref="HuggingFaceHubClient"/>. Every default is read from the environment variable
/// huggingface_hub reads, when the options object is created; tests and callers override them with <c>init</c>.
/// </summary>
internal sealed record HubDownloadOptions
{
    /// <summary>The hub's address: <c>$HF_ENDPOINT</c>, else <c>https://huggingface.co</c>.</summary>
    public Uri Endpoint { get; init; } = DefaultEndpoint();

    /// <summary>The hub cache root: <c>$HF_HUB_CACHE</c>, else <c>$HF_HOME/hub</c>, else <c>~/.cache/huggingface/hub</c>.</summary>
    public string CacheDirectory { get; init; } = HuggingFaceCache.HubCacheDirectory;

    /// <summary>
    /// The access token sent as <c>Authorization: Bearer</c> to the hub (never to the CDN it redirects to):
    /// <c>$HF_TOKEN</c>, else the file <c>$HF_TOKEN_PATH</c> (default <c>$HF_HOME/token</c>) that
    /// <c>hf auth login</c> writes, else none. Private and gated repositories need one.
    /// </summary>
    public string? Token { get; init; } = DefaultToken();

    /// <summary>Never touch the network, only the cache: <c>$HF_HUB_OFFLINE</c> is 1, true, yes or on (default false).</summary>
    public bool Offline { get; init; } = IsTrue(Environment.GetEnvironmentVariable("HF_HUB_OFFLINE"));

    /// <summary>How long to wait for a response's headers: <c>$HF_HUB_ETAG_TIMEOUT</c> seconds, default 10.</summary>
    public TimeSpan RequestTimeout { get; init; } = Seconds("HF_HUB_ETAG_TIMEOUT", 10);

    /// <summary>How long a download may stall without receiving a byte: <c>$HF_HUB_DOWNLOAD_TIMEOUT</c> seconds, default 10.</summary>
    public TimeSpan ReadTimeout { get; init; } = Seconds("HF_HUB_DOWNLOAD_TIMEOUT", 10);

    /// <summary>
    /// The most bytes one file may have (default 4 GiB, far above a BERT model's weights): a larger announced size is
    /// refused before the download starts, and a body without an announced size is cut off (and removed) once it passes
    /// this. A file of announced size is never read past that size, whatever this says.
    /// </summary>
    public long MaxFileBytes { get; init; } = 4L << 30;

    /// <summary>
    /// How long one file's download may take in total, however steadily the bytes arrive (default 1 hour); when it
    /// runs out the part received is kept and calling again resumes it.
    /// </summary>
    public TimeSpan DownloadTimeout { get; init; } = TimeSpan.FromHours(1);

    private static Uri DefaultEndpoint()
    {
        string value = Environment.GetEnvironmentVariable("HF_ENDPOINT") is { Length: > 0 } e ? e.Trim() : "https://huggingface.co";
        return Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new InvalidOperationException($"HF_ENDPOINT '{value}' is not an absolute http(s) address.");
    }

    private static string? DefaultToken()
    {
        if (Environment.GetEnvironmentVariable("HF_TOKEN") is { Length: > 0 } token)
        {
            return token.Trim();
        }

        string home = Environment.GetEnvironmentVariable("HF_HOME") is { Length: > 0 } h
            ? h
            : Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } x
                ? x
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "huggingface");
        string path = Environment.GetEnvironmentVariable("HF_TOKEN_PATH") is { Length: > 0 } p ? p : Path.Combine(home, "token");
        try
        {
            return File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } stored ? stored : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool IsTrue(string? value) =>
        value?.Trim().ToUpperInvariant() is "1" or "TRUE" or "YES" or "ON";

    private static TimeSpan Seconds(string variable, double fallback) =>
        TimeSpan.FromSeconds(double.TryParse(Environment.GetEnvironmentVariable(variable), NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0
            ? s
            : fallback);
}
