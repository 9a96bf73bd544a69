namespace SentenceMtl.Checkpoints;

/// <summary>
/// Turns a model name or path into a <see cref="ModelSource"/>, offline first: a folder, a cached hub snapshot, a model
/// folder installed beside the application by a SentenceMtl.Models.* package (whose hub id is an alias, so those never
/// download), and last a download from the hub.
/// </summary>
internal static class ModelResolver
{
    /// <exception cref="ModelFormatException">Nothing matches (the hub too says no, or HF_HUB_OFFLINE is set); the message lists what was looked for and the embedded names.</exception>
    /// <exception cref="HttpRequestException">The hub could not be reached or the download failed (calling again resumes it).</exception>
    public static ModelSource Resolve(string modelNameOrPath)
    {
        if (AtomicDirectory.Resolve(modelNameOrPath) is { } folder)
        {
            return HuggingFaceFolder.Read(folder, modelNameOrPath);
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
                downloaded = new HuggingFaceHubClient().DownloadModel(modelNameOrPath);
            }
            catch (ModelFormatException ex)
            {
                hubAnswer = ex;
            }

            if (downloaded is not null)
            {
                return HuggingFaceFolder.Read(downloaded, modelNameOrPath);
            }
        }

        var names = EmbeddedModelCatalog.Names;
        throw new ModelFormatException(modelNameOrPath,
            "no such model. Looked for: a folder at that path" +
            (hubModel is not null ? $"; a snapshot in the Hugging Face cache at {HuggingFaceCache.RepoDirectory(hubModel.RepoId)}" : "") +
            "; an embedded model of that name (" +
            (names.Count > 0 ? $"available: {string.Join(", ", names)}" : "none available: reference a SentenceMtl.Models.* package, e.g. SentenceMtl.Models.AllMiniLML6V2") + ")" +
            (hubAnswer is not null ? $"; the Hugging Face hub ({hubAnswer.Message})" : "") + ".", hubAnswer);
    }
}
