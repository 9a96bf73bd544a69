namespace SentenceMtl.Checkpoints;

/// <summary>
/// Turns a model name or path into a <see cref="ModelSource"/>, offline first: a folder, a cached hub snapshot, a model
/// folder installed beside the application by a SentenceMtl.Models.* package (whose hub id is an alias, so those never
/// download), and last a download from the hub.
/// </summary>
internal static class ModelResolver
{
    /// <exception cref="ModelFormatException">Nothing matches (the hub too says no, or HF_HUB_OFFLINE is set); the message lists what was looked for and the embedded names.</exception>
    /// <exception cref="HttpRequestException">The hub could not be reached or the download failed (calling again resumes it); the message also says that no folder is at that path.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> stopped a download.</exception>
    public static ModelSource Resolve(string modelNameOrPath, CancellationToken cancellationToken = default)
    {
        if (AtomicDirectory.Resolve(modelNameOrPath) is { } folder)
        {
            return HuggingFaceFolder.Read(folder, modelNameOrPath);
        }

        string noFolder = NoFolder(modelNameOrPath);
        if (LooksLikePath(modelNameOrPath))
        {
            throw new ModelFormatException(modelNameOrPath, $"there is {noFolder}. A model path must name a folder holding " +
                "config.json, vocab.txt and the weights (a hub id is org/name, an embedded model a bare name such as all-MiniLM-L6-v2).");
        }

        var hubModel = HubModelReference.TryParse(modelNameOrPath, out var parsed) ? parsed : null;
        string? snapshot = hubModel is null ? null : HuggingFaceCache.FindSnapshot(hubModel.RepoId, hubModel.Revision);
        if (snapshot is not null)
        {
            return HuggingFaceFolder.Read(snapshot, modelNameOrPath);
        }

        if (EmbeddedModelCatalog.TryGet(modelNameOrPath) is { } embedded)
        {
            return embedded;
        }

        ModelFormatException? hubAnswer = null;
        if (hubModel is not null)
        {
            string? downloaded = null;
            try
            {
                downloaded = new HuggingFaceHubClient().DownloadModel(modelNameOrPath, cancellationToken);
            }
            catch (ModelFormatException ex)
            {
                hubAnswer = ex;
            }
            catch (HttpRequestException ex)
            {
                throw new HttpRequestException(
                    $"'{modelNameOrPath}': there is {noFolder}; read as a Hugging Face hub id, it is not in the cache at " +
                    $"{HuggingFaceCache.RepoDirectory(hubModel.RepoId)} and the download failed: {ex.Message}", ex, ex.StatusCode);
            }

            if (downloaded is not null)
            {
                return HuggingFaceFolder.Read(downloaded, modelNameOrPath);
            }
        }

        var names = EmbeddedModelCatalog.Names;
        throw new ModelFormatException(modelNameOrPath,
            $"no such model. Looked for: a folder at that path ({noFolder})" +
            (hubModel is not null ? $"; a snapshot in the Hugging Face cache at {HuggingFaceCache.RepoDirectory(hubModel.RepoId)}" : "") +
            "; an embedded model of that name (" +
            (names.Count > 0 ? $"available: {string.Join(", ", names)}" : "none available: reference a SentenceMtl.Models.* package, e.g. SentenceMtl.Models.AllMiniLML6V2") + ")" +
            (hubAnswer is not null ? $"; the Hugging Face hub ({hubAnswer.Message})" : "") + ".", hubAnswer);
    }

    /// <summary>
    /// Whether <paramref name="value"/> can only be meant as a folder: it starts with <c>.</c>, <c>/</c>, <c>\\</c> or
    /// <c>~</c>, has a drive or ends with a separator, or contains a separator without being a hub id (<c>org/name</c>,
    /// <c>org/name@revision</c>). Such a string is never looked up in the hub cache, the embedded models or the hub.
    /// </summary>
    internal static bool LooksLikePath(string value) =>
        value.StartsWith('.') || value.StartsWith('/') || value.StartsWith('\\') || value.StartsWith('~')
        || (value.Length >= 2 && char.IsAsciiLetter(value[0]) && value[1] == ':')
        || value.EndsWith('/') || value.EndsWith('\\')
        || ((value.Contains('/') || value.Contains('\\')) && !HubModelReference.TryParse(value, out _));

    /// <summary>"no folder at {full path} (…the current directory…)": where a relative path was looked for.</summary>
    private static string NoFolder(string path)
    {
        string where = Path.IsPathFullyQualified(path)
            ? $"no folder at {Path.GetFullPath(path)}"
            : $"no folder at {Path.GetFullPath(path)} (relative to the current directory {Environment.CurrentDirectory})";
        return path.StartsWith('~') ? where + "; '~' is not expanded, give the home directory's full path" : where;
    }
}
