namespace SentenceMtl.Checkpoints;

/// <summary>Turns a model name or path into a <see cref="ModelSource"/>: a folder, a cached hub snapshot, or an embedded model.</summary>
internal static class ModelResolver
{
    /// <exception cref="ModelFormatException">Nothing matches; the message lists what was looked for and the embedded names.</exception>
    public static ModelSource Resolve(string modelNameOrPath)
    {
        if (AtomicDirectory.Resolve(modelNameOrPath) is { } folder)
        {
            return HuggingFaceFolder.Read(folder, modelNameOrPath);
        }

        string? snapshot = HuggingFaceCache.IsRepoId(modelNameOrPath) ? HuggingFaceCache.FindSnapshot(modelNameOrPath) : null;
        if (snapshot is not null)
        {
            return HuggingFaceFolder.Read(snapshot, modelNameOrPath);
        }

        if (EmbeddedModelCatalog.TryGet(modelNameOrPath) is { } embedded)
        {
            return embedded;
        }

        var names = EmbeddedModelCatalog.Names;
        throw new ModelFormatException(modelNameOrPath,
            "no such model. Looked for: a folder at that path" +
            (HuggingFaceCache.IsRepoId(modelNameOrPath) ? $"; a snapshot in the Hugging Face cache at {HuggingFaceCache.RepoDirectory(modelNameOrPath)}" : "") +
            "; an embedded model of that name (" +
            (names.Count > 0 ? $"available: {string.Join(", ", names)}" : "none available: reference the SentenceMtl.Models package") + ").");
    }
}
