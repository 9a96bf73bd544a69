using SentenceMtl.Modeling.Kernels;
using SentenceMtl.Serialization;
using static TorchSharp.torch;

namespace SentenceMtl.Checkpoints;

/// <summary>
/// The one place where checkpoint keys are rewritten and checked: strips a model prefix (<c>bert.</c>), drops
/// known non-weights, and copies tensors into a module only when every key is present, expected and of the
/// right shape — so a failed load never leaves a half-loaded module.
/// </summary>
internal static class StateDictLoader
{
    /// <summary>Removes <paramref name="prefix"/> from every key that has it and drops ignored keys (<see cref="CheckpointKeys"/>).</summary>
    public static Dictionary<string, Tensor> Normalize(IReadOnlyDictionary<string, Tensor> tensors, string prefix)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, value) in tensors)
        {
            if (CheckpointKeys.Rewrite(key, prefix) is { } name)
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
        Validate(target, tensors.ToDictionary(kv => kv.Key, kv => (kv.Value.shape, kv.Value.is_floating_point(), kv.Value.dtype.ToString()), StringComparer.Ordinal), source);
        using var noGrad = no_grad();
        foreach (var (key, destination) in target)
        {
            destination.copy_(tensors[key]);
        }
    }

    /// <summary>
    /// Builds a module for the keys of a safetensors file and loads the file into it, after the same checks as
    /// <see cref="Load"/>; the header is read once. When the file and the module are all float32 on the CPU, each
    /// tensor's bytes go from the file straight into its parameter, so loading never holds a second copy of the weights;
    /// otherwise the file is read into tensors first. Every check runs before the first byte is copied; only a file
    /// that shrinks while it is being read fails part-way, and then the module is disposed.
    /// </summary>
    /// <param name="path">The <c>.safetensors</c> file.</param>
    /// <param name="prefix">A model prefix to strip from the keys (<c>bert.</c>).</param>
    /// <param name="create">Builds the module from the checkpoint's keys and shapes (after <see cref="Normalize"/>'s rewriting),
    /// read from the header alone: it may compare them with the configuration before allocating anything.</param>
    /// <exception cref="ModelFormatException">The file is missing or damaged, or its keys, shapes or dtypes do not match the module.</exception>
    public static T LoadSafetensors<T>(string path, string prefix, Func<IReadOnlyDictionary<string, long[]>, T> create)
        where T : nn.Module
    {
        T? module = null;
        try
        {
            bool direct;
            using (var stream = SafetensorsReader.Open(path))
            {
                var header = SafetensorsHeader.Read(stream, path);
                var entries = Entries(header, prefix);
                module = create(entries.ToDictionary(kv => kv.Key, kv => kv.Value.Shape, StringComparer.Ordinal));
                var target = module.state_dict();
                Validate(target, entries.ToDictionary(kv => kv.Key, kv => (kv.Value.Shape, IsFloatingPoint(kv.Value.DType), kv.Value.DType.ToString()), StringComparer.Ordinal), path);
                direct = entries.Values.All(e => e.DType == TensorDType.F32)
                    && target.Values.All(TensorMemory.IsReadable);
                if (direct)
                {
                    // Entries the rewriting dropped (ignored keys, a key repeated under the prefix) are read and discarded.
                    var destinations = entries.ToDictionary(kv => kv.Value.Name, kv => target[kv.Key], StringComparer.Ordinal);
                    SafetensorsReader.ReadEntries(stream, header, path, entry =>
                        destinations.TryGetValue(entry.Name, out var parameter) ? parameter.bytes : new byte[entry.End - entry.Begin]);
                }
            }

            if (!direct)
            {
                var tensors = TensorConversion.ReadSafetensors(path);
                try
                {
                    Load(module, Normalize(tensors, prefix), path);
                }
                finally
                {
                    foreach (var t in tensors.Values)
                    {
                        t.Dispose();
                    }
                }
            }

            return module;
        }
        catch
        {
            module?.Dispose();
            throw;
        }
    }

    private static Dictionary<string, SafetensorsHeader.Entry> Entries(SafetensorsHeader header, string prefix)
    {
        var result = new Dictionary<string, SafetensorsHeader.Entry>(StringComparer.Ordinal);
        foreach (var entry in header.Entries)
        {
            if (CheckpointKeys.Rewrite(entry.Name, prefix) is { } name)
            {
                result[name] = entry;                                                           // as Normalize: the last one wins
            }
        }

        return result;
    }

    private static bool IsFloatingPoint(TensorDType dtype) => dtype is TensorDType.F64 or TensorDType.F32 or TensorDType.F16 or TensorDType.BF16;

    /// <exception cref="ModelFormatException">Keys are missing, unexpected, mis-shaped or of the wrong kind.</exception>
    private static void Validate(Dictionary<string, Tensor> target, Dictionary<string, (long[] Shape, bool IsFloatingPoint, string DType)> tensors, string source)
    {
        var missing = target.Keys.Where(k => !tensors.ContainsKey(k)).ToList();
        var unexpected = tensors.Keys.Where(k => !target.ContainsKey(k)).ToList();
        var misshaped = target.Keys.Where(tensors.ContainsKey)
            .Where(k => !target[k].shape.SequenceEqual(tensors[k].Shape))
            .Select(k => $"{k} (checkpoint [{string.Join(", ", tensors[k].Shape)}], model [{string.Join(", ", target[k].shape)}])")
            .ToList();
        var wrongType = target.Keys.Where(tensors.ContainsKey)
            .Where(k => tensors[k].IsFloatingPoint != target[k].is_floating_point())
            .Select(k => $"{k} ({tensors[k].DType}, model {target[k].dtype})")
            .ToList();
        if (missing.Count + unexpected.Count + misshaped.Count + wrongType.Count > 0)
        {
            var problems = new List<string>();
            if (missing.Count > 0) problems.Add($"missing keys: {ErrorText.List(missing)}");
            if (unexpected.Count > 0) problems.Add($"unexpected keys: {ErrorText.List(unexpected)}");
            if (misshaped.Count > 0) problems.Add($"wrong shapes: {ErrorText.List(misshaped)}");
            if (wrongType.Count > 0) problems.Add($"wrong dtypes: {ErrorText.List(wrongType)}");
            throw new ModelFormatException(source, "state dict does not match the model; " + string.Join("; ", problems) + ".");
        }
    }
}
