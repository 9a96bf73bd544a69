using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;

namespace SentenceMtl.Checkpoints;

/// <summary>
/// Downloads the files a BERT / sentence-transformers model needs from the Hugging Face hub into the standard hub cache,
/// the way huggingface_hub's <c>hf_hub_download</c> does, so Python and .NET share one cache (see <see cref="HubRepoCache"/>).
/// </summary>
/// <remarks>
/// <para>
/// For each file, <c>HEAD {endpoint}/{repo}/resolve/{revision}/{file}</c> (relative redirects followed, as for a renamed
/// repository) gives the commit (<c>X-Repo-Commit</c>), the blob id (<c>X-Linked-Etag</c>, else <c>ETag</c>), the size
/// (<c>X-Linked-Size</c>, else <c>Content-Length</c>) and, for large files, the CDN address to GET from. The first answer
/// pins the commit: the other files are asked for at that commit, so a push during the download cannot mix versions.
/// </para>
/// <para>
/// A blob is written to <c>blobs/{etag}.incomplete</c> (resumed with <c>Range</c> after an interruption), checked against
/// the announced size (and SHA-256 for LFS files), then renamed to <c>blobs/{etag}</c>. Only when every needed file is
/// in <c>blobs/</c> are the <c>snapshots/{commit}/</c> links and <c>refs/{revision}</c> written, so a failed download
/// leaves no half snapshot for <see cref="HuggingFaceCache.FindSnapshot"/> to pick up.
/// </para>
/// <para>
/// A commit revision whose snapshot is complete costs no request; a branch or tag costs one HEAD (the commit may have
/// moved), and when the hub cannot be reached the snapshot <c>refs/{revision}</c> names is used. With
/// <see cref="HubDownloadOptions.Offline"/> only the cache is read.
/// </para>
/// <para>
/// Errors: <see cref="ModelFormatException"/> when the hub answers that the repository, revision or a required file
/// does not exist or is not accessible (401/403: private or gated, set <c>HF_TOKEN</c>), or when offline and not cached;
/// <see cref="HttpRequestException"/> when the transfer fails (hub unreachable, timeout, HTTP 5xx, connection dropped,
/// download deadline passed, size or checksum mismatch; calling again resumes); <see cref="IOException"/> when the cache
/// cannot be written (disk full); <see cref="OperationCanceledException"/> on cancellation. A body is never read past
/// its announced size, nor past <see cref="HubDownloadOptions.MaxFileBytes"/> when none is announced; an over-long body,
/// a failed write or a cancellation removes the part received, the other failures keep it for a resume.
/// </para>
/// </remarks>
internal sealed class HuggingFaceHubClient
{
    private const int MaxRedirects = 10;
    private const int BufferSize = 1 << 16;

    /// <summary>One client for the process (connection pooling); timeouts are applied per request.</summary>
    private static readonly HttpClient Http = CreateHttpClient();

    private readonly HubDownloadOptions options;

    /// <summary>A client with <paramref name="options"/> (default: from the environment, as huggingface_hub).</summary>
    public HuggingFaceHubClient(HubDownloadOptions? options = null) => this.options = options ?? new HubDownloadOptions();

    /// <summary>Blocking <see cref="DownloadModelAsync"/>, for synchronous callers such as <c>FromPretrained</c>.</summary>
    public string DownloadModel(string modelId, CancellationToken cancellationToken = default) =>
        Task.Run(() => DownloadModelAsync(modelId, cancellationToken), cancellationToken).GetAwaiter().GetResult();

    /// <summary>
    /// Makes the model's files available in the cache and returns its snapshot folder: <c>modules.json</c>, then in the
    /// transformer folder it names (usually the root) <c>config.json</c>, <c>vocab.txt</c>, <c>tokenizer_config.json</c>,
    /// <c>model.safetensors</c> (else <c>pytorch_model.bin</c>), then <c>sentence_bert_config.json</c> and the pooling
    /// <c>config.json</c>. Files the hub does not have are skipped unless required.
    /// </summary>
    /// <param name="modelId"><c>org/name</c> or <c>org/name@revision</c> (branch, tag or commit; default <c>main</c>).</param>
    /// <param name="cancellationToken">Stops the download promptly; the file being downloaded is removed (the files finished before stay in <c>blobs/</c>).</param>
    public async Task<string> DownloadModelAsync(string modelId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(modelId);
        if (!HubModelReference.TryParse(modelId, out var model))
        {
            throw new ArgumentException($"'{modelId}' is not a hub model id (org/name or org/name@revision).", nameof(modelId));
        }

        cancellationToken.ThrowIfCancellationRequested();
        var cache = new HubRepoCache(options.CacheDirectory, model.RepoId);
        string? cachedCommit = model.IsCommit ? model.Revision : cache.ReadRef(model.Revision);
        if (options.Offline)
        {
            return TryFromCache(cache, cachedCommit) ?? throw new ModelFormatException(cache.Root,
                $"{model} is not (completely) in the Hugging Face cache, and HF_HUB_OFFLINE is set so the hub at {options.Endpoint} " +
                "was not asked. Unset HF_HUB_OFFLINE to download it.");
        }

        if (model.IsCommit && TryFromCache(cache, model.Revision) is { } pinned)
        {
            return pinned;
        }

        try
        {
            return await DownloadAsync(model, cache, cancellationToken).ConfigureAwait(false);
        }
        catch (HubUnreachableException ex)
        {
            return TryFromCache(cache, cachedCommit) ?? throw new HubUnreachableException(
                $"{ex.Message} No complete snapshot of {model} is in the cache at {cache.Root} either.", ex.InnerException, ex.StatusCode);
        }
    }

    private async Task<string> DownloadAsync(HubModelReference model, HubRepoCache cache, CancellationToken cancellationToken)
    {
        string? commit = model.IsCommit ? model.Revision : null;
        var links = new List<(string File, string Etag)>();
        var absent = new List<string>();

        async Task<string?> Fetch(string file)
        {
            if (commit is not null && Cached(cache, commit, file, out string? known))
            {
                return known;
            }

            var answer = await HeadAsync(model.RepoId, commit ?? model.Revision, file, cancellationToken).ConfigureAwait(false);
            commit ??= answer.Commit;
            if (answer.Etag is null)
            {
                absent.Add(file);
                return null;
            }

            if (File.Exists(cache.SnapshotFile(commit!, file)))
            {
                return cache.SnapshotFile(commit!, file);
            }

            if (!File.Exists(cache.Blob(answer.Etag)))
            {
                await DownloadBlobAsync(cache, file, answer, cancellationToken).ConfigureAwait(false);
            }

            links.Add((file, answer.Etag));
            return cache.Blob(answer.Etag);
        }

        await FetchModelFilesAsync(Fetch, (file, reason) => new ModelFormatException(FileUrl(model.RepoId, commit ?? model.Revision, file).ToString(),
            $"not found on the hub (HTTP 404): {reason}.")).ConfigureAwait(false);

        // A required file was found, so the hub named the commit.
        foreach (var (file, etag) in links)
        {
            cache.Link(commit!, file, etag);
        }

        foreach (string file in absent)
        {
            cache.MarkAbsent(commit!, file);
        }

        if (!model.IsCommit)
        {
            cache.WriteRef(model.Revision, commit!);
        }

        return cache.Snapshot(commit!);
    }

    /// <summary>The snapshot of <paramref name="commit"/> if it holds everything the model needs, else null.</summary>
    private static string? TryFromCache(HubRepoCache cache, string? commit)
    {
        if (commit is null || !Directory.Exists(cache.Snapshot(commit)))
        {
            return null;
        }

        try
        {
            // Completes synchronously: every lookup is a file check.
            FetchModelFilesAsync(file => Task.FromResult(Cached(cache, commit, file, out string? path) ? path : throw new CacheMissException()),
                (_, _) => new CacheMissException()).GetAwaiter().GetResult();
            return cache.Snapshot(commit);
        }
        catch (CacheMissException)
        {
            return null;
        }
    }

    /// <summary>Whether the cache knows <paramref name="file"/> at <paramref name="commit"/>: its path, or null if the hub has none.</summary>
    private static bool Cached(HubRepoCache cache, string commit, string file, out string? path)
    {
        path = cache.SnapshotFile(commit, file);
        if (File.Exists(path))
        {
            return true;
        }

        path = null;
        return cache.IsKnownAbsent(commit, file);
    }

    /// <summary>
    /// Fetches what <see cref="HuggingFaceFolder.Read"/> reads, in order. <paramref name="fetch"/> returns a local path,
    /// or null when the hub does not have the file; a missing required file raises <paramref name="missing"/>.
    /// </summary>
    private static async Task FetchModelFilesAsync(Func<string, Task<string?>> fetch, Func<string, string, Exception> missing)
    {
        async Task Require(string file, string reason)
        {
            if (await fetch(file).ConfigureAwait(false) is null)
            {
                throw missing(file, reason);
            }
        }

        string? modules = await fetch("modules.json").ConfigureAwait(false);
        var (transformer, pooling) = modules is null ? ("", null) : ReadModules(modules);
        await Require(Join(transformer, "config.json"), "the repository does not exist, or it is not a transformers model").ConfigureAwait(false);
        await Require(Join(transformer, "vocab.txt"), "a BERT WordPiece vocabulary is required").ConfigureAwait(false);
        await fetch(Join(transformer, "tokenizer_config.json")).ConfigureAwait(false);
        if (await fetch(Join(transformer, HuggingFaceFolder.WeightFiles[0])).ConfigureAwait(false) is null)
        {
            await Require(Join(transformer, HuggingFaceFolder.WeightFiles[1]),
                $"no weights (looked for {string.Join(", then ", HuggingFaceFolder.WeightFiles)})").ConfigureAwait(false);
        }

        if (transformer.Length > 0)
        {
            await fetch(Join(transformer, "sentence_bert_config.json")).ConfigureAwait(false);
        }

        await fetch("sentence_bert_config.json").ConfigureAwait(false);
        if (pooling is not null)
        {
            await Require(Join(pooling, "config.json"), "modules.json names this pooling configuration").ConfigureAwait(false);
        }
        else if (modules is null)
        {
            await fetch("1_Pooling/config.json").ConfigureAwait(false);
        }
    }

    /// <summary>The Transformer and Pooling folders named by modules.json; a damaged file is left for the folder reader to report.</summary>
    private static (string Transformer, string? Pooling) ReadModules(string path)
    {
        string transformer = "";
        string? pooling = null;
        try
        {
            using var doc = JsonDocument.Parse(BoundedFile.ReadAllText(path, BoundedFile.MaxJsonBytes));
            foreach (var module in doc.RootElement.EnumerateArray())
            {
                string type = module.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
                string folder = module.TryGetProperty("path", out var p) ? p.GetString() ?? "" : "";
                if (!ModulePath.IsInside(folder))
                {
                    throw new ModelFormatException(path, $"module path '{folder}' is not a folder inside the repository.");
                }

                switch (type.Split('.')[^1])
                {
                    case "Transformer": transformer = folder.TrimEnd('/'); break;
                    case "Pooling": pooling = folder.TrimEnd('/'); break;
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return ("", null);
        }

        return (transformer, pooling);
    }

    private static string Join(string folder, string file) => folder.Length == 0 ? file : $"{folder}/{file}";

    private Uri FileUrl(string repoId, string revision, string file) =>
        new($"{options.Endpoint.AbsoluteUri.TrimEnd('/')}/{repoId}/resolve/{Uri.EscapeDataString(revision)}/" +
            string.Join('/', file.Split('/').Select(Uri.EscapeDataString)));

    /// <summary>What the hub says about one file; <see cref="Etag"/> null means it has no such file.</summary>
    private sealed record FileAnswer(string? Commit, string? Etag, long? Size, Uri Location, bool IsLfs);

    private async Task<FileAnswer> HeadAsync(string repoId, string revision, string file, CancellationToken cancellationToken)
    {
        var url = FileUrl(repoId, revision, file);
        for (int redirects = 0; ; redirects++)
        {
            HttpResponseMessage response;
            try
            {
                response = await SendAsync(HttpMethod.Head, url, 0, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex)
            {
                throw new HubUnreachableException($"Could not reach the Hugging Face hub at {url} ({ex.Message}).", ex, null);
            }

            using (response)
            {
                int status = (int)response.StatusCode;
                bool redirect = status is >= 300 and < 400;
                if (redirect && response.Headers.Location is { IsAbsoluteUri: false } relative && redirects < MaxRedirects)
                {
                    url = new Uri(url, relative);
                    continue;
                }

                if (response.IsSuccessStatusCode || redirect)
                {
                    var answer = ReadAnswer(response, url, redirect);
                    return redirect ? answer : answer with { Location = PinnedUrl(url, revision, answer.Commit!) };
                }

                string? error = Header(response, "X-Error-Code");
                if (response.StatusCode == HttpStatusCode.NotFound && error is null or "EntryNotFound")
                {
                    return new FileAnswer(CommitHeader(response), null, null, url, false);
                }

                throw response.StatusCode switch
                {
                    HttpStatusCode.NotFound when error == "RevisionNotFound" =>
                        new ModelFormatException(url.ToString(), $"revision '{revision}' not found in {repoId} (HTTP 404)."),
                    HttpStatusCode.NotFound =>
                        new ModelFormatException(url.ToString(), $"repository {repoId} not found on {options.Endpoint} (HTTP 404)."),
                    HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => AccessDenied(response, url, repoId),
                    _ => new HubUnreachableException($"The Hugging Face hub answered HTTP {status} for {url}.", null, response.StatusCode),
                };
            }
        }
    }

    /// <summary><paramref name="url"/> at <paramref name="commit"/> instead of a branch, so the GET returns the file the HEAD described.</summary>
    private static Uri PinnedUrl(Uri url, string revision, string commit)
    {
        string from = $"/resolve/{Uri.EscapeDataString(revision)}/";
        int at = url.AbsoluteUri.IndexOf(from, StringComparison.Ordinal);
        return at < 0 ? url : new Uri(string.Concat(url.AbsoluteUri.AsSpan(0, at), $"/resolve/{commit}/", url.AbsoluteUri.AsSpan(at + from.Length)));
    }

    private ModelFormatException AccessDenied(HttpResponseMessage response, Uri url, string repoId)
    {
        bool gated = Header(response, "X-Error-Code") == "GatedRepo" || response.StatusCode == HttpStatusCode.Forbidden;
        string what = gated
            ? $"{repoId} is a gated or private repository"
            : $"{repoId} does not exist, or it is a private or gated repository";
        string fix = options.Token is null
            ? "set HF_TOKEN to a Hugging Face access token that can read it (gated models: accept their terms on the hub first)"
            : "the token in use (HF_TOKEN or the stored login) was not accepted for it: check it can read the repository and, for a gated model, that access was granted";
        return new ModelFormatException(url.ToString(), $"access denied (HTTP {(int)response.StatusCode}): {what}; {fix}.");
    }

    private static FileAnswer ReadAnswer(HttpResponseMessage response, Uri url, bool redirect)
    {
        string commit = CommitHeader(response) ?? throw new HubUnreachableException(
            $"{url} did not answer like a Hugging Face hub (no X-Repo-Commit header); check HF_ENDPOINT.", null, response.StatusCode);
        string? linkedEtag = Header(response, "X-Linked-Etag");
        string etag = NormalizeEtag(linkedEtag ?? Header(response, "ETag")) ?? throw new HubUnreachableException(
            $"{url} sent no usable ETag, so the file cannot be cached reliably.", null, response.StatusCode);
        long? size = long.TryParse(Header(response, "X-Linked-Size"), out long linked) ? linked
            : redirect ? null : response.Content.Headers.ContentLength;
        var location = redirect && response.Headers.Location is { } target ? new Uri(url, target) : url;
        bool lfs = linkedEtag is not null && etag.Length == 64 && etag.All(char.IsAsciiHexDigitLower);
        return new FileAnswer(commit, etag, size, location, lfs);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? values.FirstOrDefault()
            : null;

    private static string? CommitHeader(HttpResponseMessage response) =>
        Header(response, "X-Repo-Commit")?.Trim() is { } commit && HubModelReference.IsCommitHash(commit) ? commit : null;

    /// <summary>huggingface_hub's etag normalization (no <c>W/</c>, no quotes), kept only if it is a safe file name.</summary>
    private static string? NormalizeEtag(string? etag)
    {
        string? value = etag?.Trim();
        if (value?.StartsWith("W/", StringComparison.Ordinal) == true)
        {
            value = value[2..];
        }

        value = value?.Trim('"');
        return value is { Length: > 0 and <= 128 } && !value.StartsWith('.') && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            ? value
            : null;
    }

    /// <summary>
    /// Downloads one blob within <see cref="HubDownloadOptions.DownloadTimeout"/>. The part received is removed when
    /// the caller cancels, when the server sends more than it announced (or more than
    /// <see cref="HubDownloadOptions.MaxFileBytes"/> without announcing a size), or when the disk fills up; it is kept
    /// (for a resume) when the connection drops, stalls or the deadline passes.
    /// </summary>
    private async Task DownloadBlobAsync(HubRepoCache cache, string file, FileAnswer answer, CancellationToken cancellationToken)
    {
        if (answer.Size > options.MaxFileBytes)
        {
            throw new HttpRequestException($"Downloading {file} from {answer.Location}: the hub announced {answer.Size} bytes, more than " +
                $"the {options.MaxFileBytes} bytes a file may have (HubDownloadOptions.MaxFileBytes). Nothing was downloaded.");
        }

        string incomplete = cache.Blob(answer.Etag!) + ".incomplete";
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.DownloadTimeout);
        try
        {
            await DownloadBlobWithinAsync(cache, file, answer, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HttpRequestException(HttpRequestError.Unknown,
                $"Downloading {file} from {answer.Location} did not finish within {options.DownloadTimeout} (HubDownloadOptions.DownloadTimeout). " +
                $"The part received is kept in {incomplete}; calling again resumes from there.", ex);
        }
        catch (Exception ex) when (ex is OperationCanceledException or DiscardedDownloadException or CacheWriteException)
        {
            // Cancelled, oversized or the disk is full: what arrived is not kept (the lock is released by now).
            TryDelete(incomplete);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Another process holds it (a download of the same blob resumed meanwhile): that one owns it now.
        }
    }

    private async Task DownloadBlobWithinAsync(HubRepoCache cache, string file, FileAnswer answer, CancellationToken cancellationToken)
    {
        string blob = cache.Blob(answer.Etag!);
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        await using var blobLock = await LockAsync(cache.LockFile(answer.Etag!), cancellationToken).ConfigureAwait(false);
        if (File.Exists(blob))
        {
            return; // another process finished it while we waited for the lock
        }

        string incomplete = blob + ".incomplete";
        for (int attempt = 0; ; attempt++)
        {
            long resume = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
            if (resume > 0 && resume >= answer.Size)
            {
                // All bytes are there already (a crash before the rename), or too many: check, don't ask.
                if (resume == answer.Size && await VerifyAsync(answer, incomplete, cancellationToken).ConfigureAwait(false))
                {
                    File.Move(incomplete, blob, overwrite: true);
                    return;
                }

                File.Delete(incomplete);
                resume = 0;
            }

            using var response = await GetAsync(answer.Location, resume, file, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && resume > 0 && attempt == 0)
            {
                File.Delete(incomplete);
                continue;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"Downloading {file} from {answer.Location} failed with HTTP {(int)response.StatusCode}.",
                    null, response.StatusCode);
            }

            bool append = resume > 0 && response.StatusCode == HttpStatusCode.PartialContent;
            if (append && response.Content.Headers.ContentRange?.From != resume)
            {
                File.Delete(incomplete);
                throw new HttpRequestException($"Downloading {file}: the server answered the request for bytes {resume}- with " +
                    $"'{response.Content.Headers.ContentRange}'; the partial file was removed, try again.");
            }

            long start = append ? resume : 0;
            if (answer.Size is { } expected && response.Content.Headers.ContentLength is { } length && start + length != expected)
            {
                throw SizeMismatch(file, expected, $"the server is sending {start + length}", "Nothing was stored");
            }

            // The file may hold its announced size, else MaxFileBytes: the body is never read past that.
            long limit = answer.Size ?? options.MaxFileBytes;
            if (start + (response.Content.Headers.ContentLength ?? 0) > limit)
            {
                throw new DiscardedDownloadException($"Downloading {file}: the server is sending {start + (response.Content.Headers.ContentLength ?? 0)} bytes, more than the " +
                    $"{limit} bytes a file may have (HubDownloadOptions.MaxFileBytes). Nothing was stored.");
            }

            await ReceiveAsync(response, incomplete, append, file, answer, limit - start, cancellationToken).ConfigureAwait(false);
            long received = new FileInfo(incomplete).Length;
            if (answer.Size is { } size && received > size)
            {
                File.Delete(incomplete);
                throw SizeMismatch(file, size, $"{received} arrived", "Nothing was stored");
            }

            if (received < answer.Size)
            {
                throw SizeMismatch(file, answer.Size.Value, $"the connection ended after {received}", "The part received is kept; calling again resumes");
            }

            if (!await VerifyAsync(answer, incomplete, cancellationToken).ConfigureAwait(false))
            {
                File.Delete(incomplete);
                throw new HttpRequestException($"Downloading {file}: the SHA-256 of the bytes received is not {answer.Etag}; " +
                    "the file was removed, try again.");
            }

            File.Move(incomplete, blob, overwrite: true);
            return;
        }
    }

    private static HttpRequestException SizeMismatch(string file, long expected, string actual, string outcome) =>
        new($"Consistency check failed for {file}: the hub announced {expected} bytes but {actual}. {outcome}.");

    /// <summary>LFS files (whose etag is the SHA-256 of their content) are hashed; other files are checked by size only.</summary>
    private static async Task<bool> VerifyAsync(FileAnswer answer, string path, CancellationToken cancellationToken)
    {
        if (!answer.IsLfs)
        {
            return true;
        }

        var stream = File.OpenRead(path);
        await using (stream.ConfigureAwait(false))
        {
            byte[] hash = await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
            return Convert.ToHexStringLower(hash) == answer.Etag;
        }
    }

    /// <summary>
    /// Streams the body into <paramref name="path"/>, at most <paramref name="limit"/> bytes: one more byte fails with
    /// <see cref="DiscardedDownloadException"/> (the caller removes the file), as does a failed write (disk full).
    /// A stall longer than the read timeout or a dropped connection keeps what arrived.
    /// </summary>
    private async Task ReceiveAsync(HttpResponseMessage response, string path, bool append, string file, FileAnswer answer,
        long limit, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (body.ConfigureAwait(false))
        {
            // Unbuffered (the body arrives in BufferSize pieces anyway): a failed write surfaces at the write, and closing
            // the file never retries it.
            var output = new FileStream(path, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0, useAsync: true);
            await using (output.ConfigureAwait(false))
            {
                var buffer = new byte[BufferSize];
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                long received = 0;
                while (true)
                {
                    int read;
                    try
                    {
                        idle.CancelAfter(options.ReadTimeout);
                        // Ask for at most one byte past the limit: enough to notice an over-long body, never more.
                        int room = (int)Math.Min(buffer.Length, limit - received + 1);
                        read = await body.ReadAsync(buffer.AsMemory(0, room), idle.Token).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is IOException or HttpRequestException
                        || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                    {
                        await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                        string why = ex is OperationCanceledException ? $"no data for {options.ReadTimeout.TotalSeconds:0.#} s" : ex.Message;
                        throw new HttpRequestException(HttpRequestError.ResponseEnded,
                            $"Downloading {file} from {answer.Location} was interrupted after {output.Length}" +
                            $"{(answer.Size is { } total ? $" of {total}" : "")} bytes ({why}). The part received is kept in {path}; " +
                            "calling again resumes from there.", ex);
                    }

                    if (read == 0)
                    {
                        break;
                    }

                    received += read;
                    if (received > limit)
                    {
                        throw new DiscardedDownloadException($"Downloading {file} from {answer.Location}: the server sent more than the " +
                            (answer.Size is { } size ? $"{size} bytes it announced" : $"{options.MaxFileBytes} bytes a file may have without an " +
                                "announced size (HubDownloadOptions.MaxFileBytes)") + ". The part received was removed.");
                    }

                    try
                    {
                        await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    }
                    catch (IOException ex)
                    {
                        throw DiskFull(ex);
                    }
                }

                try
                {
                    output.Flush(flushToDisk: true);
                }
                catch (IOException ex)
                {
                    throw DiskFull(ex);
                }
            }
        }
    }

    /// <summary>A failed write of the cache (disk full, quota, I/O error): an <see cref="IOException"/> whose caller removes the part written.</summary>
    private CacheWriteException DiskFull(IOException ex) =>
        new($"Writing the download into the Hugging Face cache at {options.CacheDirectory} failed ({ex.Message}); " +
            "the part written was removed. Free some space, or point HF_HUB_CACHE at a disk with room.", ex);

    /// <summary>GET, following redirects (the token is only sent to the hub itself, never to the CDN).</summary>
    private async Task<HttpResponseMessage> GetAsync(Uri url, long resume, string file, CancellationToken cancellationToken)
    {
        for (int redirects = 0; ; redirects++)
        {
            HttpResponseMessage response;
            try
            {
                response = await SendAsync(HttpMethod.Get, url, resume, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex)
            {
                throw new HttpRequestException($"Downloading {file} from {url} failed ({ex.Message}); calling again resumes.", ex, ex.StatusCode);
            }

            if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location && redirects < MaxRedirects)
            {
                response.Dispose();
                url = new Uri(url, location);
                continue;
            }

            return response;
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri url, long rangeStart, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, url);
        if (options.Token is { Length: > 0 } token && Uri.Compare(url, options.Endpoint, UriComponents.SchemeAndServer,
                UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (rangeStart > 0)
        {
            request.Headers.Range = new RangeHeaderValue(rangeStart, null);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.RequestTimeout);
        try
        {
            return await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HttpRequestException(HttpRequestError.Unknown,
                $"{method} {url} got no answer within {options.RequestTimeout.TotalSeconds:0.#} s (HF_HUB_ETAG_TIMEOUT).", ex);
        }
    }

    /// <summary>Waits for the per-blob lock file (another thread or process may be downloading the same blob).</summary>
    private static async Task<FileStream> LockAsync(string path, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (File.Exists(path))
            {
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static HttpClient CreateHttpClient()
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,                          // followed by hand: relative only for HEAD, token dropped off-hub
            AutomaticDecompression = DecompressionMethods.None, // sizes and hashes are those of the stored file
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("sentencemtl",
            typeof(HuggingFaceHubClient).Assembly.GetName().Version?.ToString(3) ?? "0"));
        client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("dotnet", Environment.Version.ToString()));
        return client;
    }

    /// <summary>The hub could not tell us about a file (network, timeout, 5xx, not a hub): the cached snapshot may stand in,
    /// and whether the hub has the model is unknown.</summary>
    internal sealed class HubUnreachableException(string message, Exception? inner, HttpStatusCode? status)
        : HttpRequestException(message, inner, status);

    private sealed class CacheMissException : Exception;

    /// <summary>A body longer than allowed: the part received is removed, not kept for a resume.</summary>
    private sealed class DiscardedDownloadException(string message) : HttpRequestException(message);

    /// <summary>The cache could not be written (disk full): the part written is removed.</summary>
    private sealed class CacheWriteException(string message, Exception inner) : IOException(message, inner);
}
