namespace SentenceMtl.Checkpoints;

/// <summary>
/// Turns a model name or path into a <see cref="ModelSource"/>, offline first: a folder, a cached hub snapshot, a model
/// folder installed beside the application by a SentenceMtl.Models.* package (whose hub id is an alias, so those never
/// download), and last a download from the hub. A name that resolves to nothing is a <see cref="ModelNotFoundException"/>
/// whatever it was read as, with the closest existing name when there is one.
/// </summary>
internal static class ModelResolver
{
    /// <exception cref="ModelNotFoundException">Nothing matches: no folder at a path; or no cached snapshot, no embedded model
    /// and the hub says no, cannot be reached (the <see cref="HttpRequestException"/> is the inner exception) or is not
    /// asked (HF_HUB_OFFLINE). The message lists what was looked for, the embedded names and a close match.</exception>
    /// <exception cref="ModelFormatException">The model's files are damaged.</exception>
    /// <exception cref="HttpRequestException">The hub has the model but the download failed (calling again resumes it);
    /// the message also says that no folder is at that path.</exception>
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
            string? sibling = ModelSuggestions.SiblingFolder(modelNameOrPath);
            throw new ModelNotFoundException(modelNameOrPath, $"there is {noFolder}.{ModelSuggestions.Sentence(sibling)} A model path must name a folder holding " +
                "config.json, vocab.txt and the weights (a hub id is org/name, an embedded model a bare name such as all-MiniLM-L6-v2).", sibling);
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

        Exception? hubAnswer = null;
        if (hubModel is not null)
        {
            try
            {
                return HuggingFaceFolder.Read(new HuggingFaceHubClient().DownloadModel(modelNameOrPath, cancellationToken), modelNameOrPath);
            }
            catch (Exception ex) when (ex is ModelFormatException or HuggingFaceHubClient.HubUnreachableException)
            {
                hubAnswer = ex;                                                                  // the hub said no, or could not be asked
            }
            catch (HttpRequestException ex)
            {
                throw new HttpRequestException(
                    $"'{modelNameOrPath}': there is {noFolder}; read as a Hugging Face hub id, it is not in the cache at " +
                    $"{HuggingFaceCache.RepoDirectory(hubModel.RepoId)} and the download failed: {ex.Message}", ex, ex.StatusCode);
            }
        }

        throw NotFound(modelNameOrPath, hubModel, noFolder, hubAnswer);
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

    /// <summary>The error for a name found nowhere: where it was looked for, and the closest embedded name, cached hub id or
    /// sibling folder.</summary>
    private static ModelNotFoundException NotFound(string modelNameOrPath, HubModelReference? hubModel, string noFolder, Exception? hubAnswer)
    {
        var names = EmbeddedModelCatalog.Names;
        string wanted = hubModel?.RepoId ?? modelNameOrPath;
        string? suggestion = ModelSuggestions.Closest(wanted, EmbeddedModelCatalog.NamesAndAliases.Concat(HuggingFaceCache.CachedRepoIds()))
            ?? ModelSuggestions.SiblingFolder(modelNameOrPath);
        string hub = hubAnswer switch
        {
            null => "",
            HttpRequestException => $"; the Hugging Face hub, which could not be reached to ask ({hubAnswer.Message} If the id is right, try again when the hub can be reached)",
            _ => $"; the Hugging Face hub ({hubAnswer.Message})",
        };
        return new ModelNotFoundException(modelNameOrPath,
            $"no such model.{ModelSuggestions.Sentence(suggestion)} Looked for: a folder at that path ({noFolder})" +
            (hubModel is not null ? $"; a snapshot in the Hugging Face cache at {HuggingFaceCache.RepoDirectory(hubModel.RepoId)}" : "") +
            "; an embedded model of that name (" +
            (names.Count > 0 ? $"available: {string.Join(", ", names)}" : "none available: reference a SentenceMtl.Models.* package, e.g. SentenceMtl.Models.AllMiniLML6V2") + ")" +
            hub + ".", suggestion, hubAnswer);
    }

    /// <summary>"no folder at {full path} (…the current directory…)": where a relative path was looked for.</summary>
    private static string NoFolder(string path)
    {
        string where = Path.IsPathFullyQualified(path)
            ? $"no folder at {Path.GetFullPath(path)}"
            : $"no folder at {Path.GetFullPath(path)} (relative to the current directory {Environment.CurrentDirectory})";
        return path.StartsWith('~') ? where + "; '~' is not expanded, give the home directory's full path" : where;
    }
}
