using System.Runtime.InteropServices;
using SentenceMtl.Checkpoints;
using SentenceMtl.Serialization;

namespace SentenceMtl.Inference;

/// <summary>
/// Reads a model's <c>model.safetensors</c> one tensor at a time for <see cref="InferenceEngine.Create"/>, with the checks
/// the training package's TorchSharp loader makes too: keys rewritten by
/// <see cref="CheckpointKeys"/>, keys and shapes compared with config.json by <see cref="WeightShapeCheck"/> from the
/// header alone, floating-point dtypes only, no NaN or infinity. Nothing here touches TorchSharp.
/// </summary>
internal static class EngineWeightFile
{
    /// <summary>The prefix a <c>BertModel</c> inside a larger Hugging Face model gives its keys.</summary>
    private const string Prefix = "bert.";

    /// <summary>
    /// Opens the weights for <see cref="InferenceEngine.Create"/>: keys, shapes and dtypes are checked against config.json
    /// from the header alone, before any tensor is read, so a config or header claiming a model far larger than the file
    /// fails here instead of allocating it; each tensor is then read when the engine asks for it, so loading holds one
    /// tensor beside the engine's packed copy rather than the whole file.
    /// </summary>
    /// <param name="source">The resolved model; its weights must be a safetensors file.</param>
    /// <exception cref="ModelFormatException">The weights are not safetensors, the file is damaged, or it does not hold
    /// the tensors config.json describes (the message names the key and the config field).</exception>
    public static Reader Open(ModelSource source)
    {
        string path = source.SafetensorsFile() ?? throw new ModelFormatException(source.WeightsName,
            "SentenceMtl reads model.safetensors weights, and this model has only a PyTorch checkpoint. Convert it to safetensors " +
            "(in Python: safetensors.torch.save_file(torch.load('pytorch_model.bin'), 'model.safetensors'), or " +
            "SentenceMtl.Training's PyTorchCheckpoint.ConvertToSafetensors).");
        var stream = SafetensorsReader.Open(path);
        try
        {
            var header = SafetensorsHeader.Read(stream, path);
            var entries = new Dictionary<string, SafetensorsHeader.Entry>(StringComparer.Ordinal);
            foreach (var entry in header.Entries)
            {
                if (CheckpointKeys.Rewrite(entry.Name, Prefix) is { } name)
                {
                    entries[name] = entry;                                                       // as the TorchSharp loader: the last one wins
                }
            }

            WeightShapeCheck.RequireBert(source.Config, entries.ToDictionary(kv => kv.Key, kv => kv.Value.Shape, StringComparer.Ordinal),
                source.ConfigName, source.WeightsName);
            RequireFloatingPoint(entries, path);
            return new Reader(stream, header.DataStart, entries, path, source.WeightsName);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>An open, checked weight file that reads one tensor at a time.</summary>
    internal sealed class Reader(FileStream stream, long dataStart, Dictionary<string, SafetensorsHeader.Entry> entries, string path, string weightsName) : IDisposable
    {
        /// <summary>Reads backbone weight <paramref name="name"/> into <paramref name="destination"/> as float32 (float32
        /// straight from the file, other floating-point dtypes converted); false when the file has no such weight or it
        /// holds another number of values (a <see cref="WeightReader"/>).</summary>
        /// <exception cref="ModelFormatException">The file ended early, or the weight holds NaN or infinity.</exception>
        public bool Read(string name, Span<float> destination)
        {
            if (!entries.TryGetValue(name, out var entry) || entry.Shape.Aggregate(1L, (n, d) => n * d) != destination.Length)
            {
                return false;
            }

            long length = entry.End - entry.Begin;
            if (length > Array.MaxLength)
            {
                throw new ModelFormatException(path, $"tensor '{entry.Name}' is {length} bytes, more than one .NET array can hold ({Array.MaxLength}).");
            }

            stream.Position = dataStart + entry.Begin;
            if (entry.DType == TensorDType.F32 && BitConverter.IsLittleEndian)
            {
                Fill(MemoryMarshal.AsBytes(destination), entry);
            }
            else
            {
                var bytes = new byte[length];
                Fill(bytes, entry);
                new TensorData(name, entry.DType, entry.Shape, bytes).ToFloats().CopyTo(destination);
            }

            if (!AllFinite(destination))
            {
                throw new ModelFormatException(weightsName,
                    $"the weight '{ErrorText.Shorten(name)}' holds NaN or infinite values: the file is damaged or was written from a diverged training run.");
            }

            return true;
        }

        /// <summary>Every backbone weight in the file, as float32 tensors under their rewritten names, in the file's order.</summary>
        /// <exception cref="ModelFormatException">The file ended early, or a weight holds NaN or infinity.</exception>
        public List<TensorData> ReadAll()
        {
            var result = new List<TensorData>(entries.Count);
            foreach (var (name, entry) in entries.OrderBy(kv => kv.Value.Begin))
            {
                var values = new float[entry.Shape.Aggregate(1L, (n, d) => n * d)];
                Read(name, values);
                result.Add(TensorData.FromFloats(name, entry.Shape, values));
            }

            return result;
        }

        /// <summary>Closes the file.</summary>
        public void Dispose() => stream.Dispose();

        private void Fill(Span<byte> destination, SafetensorsHeader.Entry entry)
        {
            try
            {
                stream.ReadExactly(destination);
            }
            catch (EndOfStreamException ex)
            {
                throw new ModelFormatException(path, $"file ended while reading tensor '{entry.Name}' (was it changed while being read?).", ex);
            }
        }
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

    private static bool AllFinite(ReadOnlySpan<float> values)
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
