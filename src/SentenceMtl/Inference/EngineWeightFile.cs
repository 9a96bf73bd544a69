using System.Runtime.InteropServices;
using SentenceMtl.Checkpoints;
using SentenceMtl.Serialization;

namespace SentenceMtl.Inference;

/// <summary>
/// Reads a model's <c>model.safetensors</c> into float arrays for <see cref="InferenceEngine.Create"/>, with the checks
/// the TorchSharp loader makes (<see cref="StateDictLoader.LoadSafetensors{T}"/>): keys rewritten by
/// <see cref="CheckpointKeys"/>, keys and shapes compared with config.json by <see cref="WeightShapeCheck"/> from the
/// header alone, floating-point dtypes only, no NaN or infinity. Nothing here touches TorchSharp.
/// </summary>
internal static class EngineWeightFile
{
    /// <summary>The prefix a <c>BertModel</c> inside a larger Hugging Face model gives its keys.</summary>
    private const string Prefix = "bert.";

    /// <summary>The backbone's weights as float32 arrays, keyed by backbone name (Hugging Face names, row-major).</summary>
    /// <param name="source">The resolved model; its weights must be a safetensors file.</param>
    /// <exception cref="ModelFormatException">The weights are not safetensors, the file is damaged, or it does not hold
    /// the tensors config.json describes (the message names the key and the config field).</exception>
    public static Dictionary<string, float[]> Read(ModelSource source)
    {
        string path = source.SafetensorsFile() ?? throw new ModelFormatException(source.WeightsName,
            "the inference engine's loader reads only model.safetensors weights. Convert the checkpoint to safetensors " +
            "(e.g. save the model with SentenceEncoder.Save, or with safetensors in Python), or load it with " +
            "SentenceEncoder.FromPretrained, which also reads pytorch_model.bin.");
        using var stream = SafetensorsReader.Open(path);
        var header = SafetensorsHeader.Read(stream, path);
        var entries = new Dictionary<string, SafetensorsHeader.Entry>(StringComparer.Ordinal);
        foreach (var entry in header.Entries)
        {
            if (CheckpointKeys.Rewrite(entry.Name, Prefix) is { } name)
            {
                entries[name] = entry;                                                           // as the TorchSharp loader: the last one wins
            }
        }

        // Keys, shapes and dtypes are checked before any tensor is read, so a config or header claiming a model far
        // larger than the file fails here instead of allocating it.
        WeightShapeCheck.RequireBert(source.Config, entries.ToDictionary(kv => kv.Key, kv => kv.Value.Shape, StringComparer.Ordinal),
            source.ConfigName, source.WeightsName);
        RequireFloatingPoint(entries, path);

        var weights = ReadValues(stream, header, path, entries);
        if (weights.FirstOrDefault(kv => !AllFinite(kv.Value)).Key is { } damaged)
        {
            throw new ModelFormatException(source.WeightsName,
                $"the weight '{ErrorText.Shorten(damaged)}' holds NaN or infinite values: the file is damaged or was written from a diverged training run.");
        }

        return weights;
    }

    /// <summary>Reads every kept entry's values: float32 little-endian bytes straight into the result's array (one copy of
    /// the weights), other floating-point dtypes through <see cref="TensorData.ToFloats"/>; dropped entries are read and
    /// discarded, since the file is read front to back.</summary>
    private static Dictionary<string, float[]> ReadValues(Stream stream, SafetensorsHeader header, string path,
        Dictionary<string, SafetensorsHeader.Entry> entries)
    {
        var kept = entries.ToDictionary(kv => kv.Value.Name, kv => kv.Key, StringComparer.Ordinal);  // file key → backbone key
        var floats = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var converted = new List<TensorData>();
        SafetensorsReader.ReadEntries(stream, header, path, entry =>
        {
            long length = entry.End - entry.Begin;
            if (length > Array.MaxLength)
            {
                throw new ModelFormatException(path, $"tensor '{entry.Name}' is {length} bytes, more than one .NET array can hold ({Array.MaxLength}).");
            }

            if (!kept.TryGetValue(entry.Name, out var name))
            {
                return new byte[length];
            }

            if (entry.DType == TensorDType.F32 && BitConverter.IsLittleEndian)
            {
                var values = new float[length / sizeof(float)];
                floats[name] = values;
                return MemoryMarshal.AsBytes(values.AsSpan());
            }

            var bytes = new byte[length];
            converted.Add(new TensorData(name, entry.DType, entry.Shape, bytes));
            return bytes;
        });

        foreach (var data in converted)
        {
            floats[data.Name] = data.ToFloats();
        }

        return floats;
    }

    /// <summary>Refuses integer or boolean tensors, with the TorchSharp loader's message.</summary>
    private static void RequireFloatingPoint(Dictionary<string, SafetensorsHeader.Entry> entries, string path)
    {
        var wrongType = entries.Where(kv => kv.Value.DType is not (TensorDType.F64 or TensorDType.F32 or TensorDType.F16 or TensorDType.BF16))
            .Select(kv => $"{kv.Key} ({kv.Value.DType}, model Float32)")
            .ToList();
        if (wrongType.Count > 0)
        {
            throw new ModelFormatException(path, $"state dict does not match the model; wrong dtypes: {ErrorText.List(wrongType)}.");
        }
    }

    private static bool AllFinite(float[] values)
    {
        foreach (float value in values)
        {
            if (!float.IsFinite(value))
            {
                return false;
            }
        }

        return true;
    }
}
