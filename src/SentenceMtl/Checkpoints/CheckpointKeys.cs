namespace SentenceMtl.Checkpoints;

/// <summary>
/// How a checkpoint key becomes a backbone key: a model prefix (<c>bert.</c>) is stripped and known non-weights are
/// dropped. Shared by the training package's TorchSharp loader (StateDictLoader) and the engine's loader
/// (<see cref="Inference.EngineWeightFile"/>), so both read the same keys from the same file.
/// </summary>
internal static class CheckpointKeys
{
    /// <summary>Keys that old checkpoints carry but that are not parameters (Hugging Face ignores them too).</summary>
    private static readonly HashSet<string> IgnoredKeys = ["embeddings.position_ids"];

    /// <summary>The backbone key for checkpoint key <paramref name="key"/>, or null when the key is to be ignored.</summary>
    /// <param name="key">The key as stored in the file.</param>
    /// <param name="prefix">The model prefix to strip where present (<c>bert.</c>).</param>
    public static string? Rewrite(string key, string prefix)
    {
        string name = key.StartsWith(prefix, StringComparison.Ordinal) ? key[prefix.Length..] : key;
        return IgnoredKeys.Contains(name) ? null : name;
    }
}
