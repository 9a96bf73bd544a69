using static TorchSharp.torch;

namespace SentenceMtl.Checkpoints;

/// <summary>
/// The one place where checkpoint keys are rewritten and checked: strips a model prefix (<c>bert.</c>), drops
/// known non-weights, and copies tensors into a module only when every key is present, expected and of the
/// right shape — so a failed load never leaves a half-loaded module.
/// </summary>
internal static class StateDictLoader
{
    /// <summary>Keys that old checkpoints carry but that are not parameters (Hugging Face ignores them too).</summary>
    private static readonly HashSet<string> IgnoredKeys = ["embeddings.position_ids"];

    /// <summary>Removes <paramref name="prefix"/> from every key that has it and drops ignored keys.</summary>
    public static Dictionary<string, Tensor> Normalize(IReadOnlyDictionary<string, Tensor> tensors, string prefix)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, value) in tensors)
        {
            string name = key.StartsWith(prefix, StringComparison.Ordinal) ? key[prefix.Length..] : key;
            if (!IgnoredKeys.Contains(name))
            {
                result[name] = value;
            }
        }

        return result;
    }

    /// <summary>Copies <paramref name="tensors"/> into <paramref name="module"/>'s parameters and buffers.</summary>
    /// <exception cref="ModelFormatException">Keys are missing, unexpected or mis-shaped; nothing is copied then.</exception>
    public static void Load(nn.Module module, IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        var target = module.state_dict();
        var missing = target.Keys.Where(k => !tensors.ContainsKey(k)).ToList();
        var unexpected = tensors.Keys.Where(k => !target.ContainsKey(k)).ToList();
        var misshaped = target.Keys.Where(tensors.ContainsKey)
            .Where(k => !target[k].shape.SequenceEqual(tensors[k].shape))
            .Select(k => $"{k} (checkpoint [{string.Join(", ", tensors[k].shape)}], model [{string.Join(", ", target[k].shape)}])")
            .ToList();
        var wrongType = target.Keys.Where(tensors.ContainsKey)
            .Where(k => tensors[k].is_floating_point() != target[k].is_floating_point())
            .Select(k => $"{k} ({tensors[k].dtype}, model {target[k].dtype})")
            .ToList();
        if (missing.Count + unexpected.Count + misshaped.Count + wrongType.Count > 0)
        {
            var problems = new List<string>();
            if (missing.Count > 0) problems.Add($"missing keys: {string.Join(", ", missing)}");
            if (unexpected.Count > 0) problems.Add($"unexpected keys: {string.Join(", ", unexpected)}");
            if (misshaped.Count > 0) problems.Add($"wrong shapes: {string.Join(", ", misshaped)}");
            if (wrongType.Count > 0) problems.Add($"wrong dtypes: {string.Join(", ", wrongType)}");
            throw new ModelFormatException(source, "state dict does not match the model; " + string.Join("; ", problems) + ".");
        }

        using var noGrad = no_grad();
        foreach (var (key, destination) in target)
        {
            destination.copy_(tensors[key]);
        }
    }
}
