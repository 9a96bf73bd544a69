using SentenceMtl.Inference;
using SentenceMtl.Serialization;

namespace SentenceMtl.Checkpoints;

/// <summary>
/// Where an encoder's backbone weights come from, for building its session, saving it and training from it: the
/// checked safetensors file it was loaded from (read again when needed, so loading keeps no second copy), or the
/// float32 tensors training handed back.
/// </summary>
internal abstract class EncoderWeights
{
    /// <summary>Every backbone weight as a float32 tensor under its Hugging Face name.</summary>
    /// <exception cref="InvalidOperationException">The file the weights were loaded from has changed since.</exception>
    public abstract IReadOnlyList<TensorData> ReadAll();

    /// <summary>The weights of <paramref name="source"/>'s safetensors file, whose length and time are noted so that a
    /// later read notices a replaced file instead of mixing two models.</summary>
    public static EncoderWeights FromFile(ModelSource source, string path) => new FileWeights(source, path, FileStamp.Of(path));

    /// <summary>Weights held in memory, every one checked to be float32 and finite (the pooler's too, which the engine
    /// does not read but a save writes); every backbone weight the configuration implies must be among them.</summary>
    /// <exception cref="ModelFormatException">A weight is missing, misshaped, not float32 or not finite.</exception>
    public static Memory InMemory(IReadOnlyList<TensorData> tensors, ModelSource source)
    {
        var byName = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        foreach (var tensor in tensors)
        {
            if (tensor.DType != TensorDType.F32 || !BitConverter.IsLittleEndian)
            {
                throw new ModelFormatException(source.WeightsName, $"the trained weight '{tensor.Name}' is {tensor.DType}; expected F32.");
            }

            foreach (float value in System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(tensor.Bytes))
            {
                if (!float.IsFinite(value))
                {
                    throw new ModelFormatException("trained weights",
                        $"the weight '{ErrorText.Shorten(tensor.Name)}' holds NaN or infinite values (did training diverge?).");
                }
            }

            byName[tensor.Name] = tensor;
        }

        WeightShapeCheck.RequireBert(source.Config, byName.ToDictionary(kv => kv.Key, kv => kv.Value.Shape, StringComparer.Ordinal),
            source.ConfigName, "trained weights");
        return new Memory(byName, [.. tensors]);
    }

    private sealed class FileWeights(ModelSource source, string path, FileStamp stamp) : EncoderWeights
    {
        public override IReadOnlyList<TensorData> ReadAll()
        {
            if (FileStamp.Of(path) != stamp)
            {
                throw new InvalidOperationException(
                    $"The weight file '{path}' changed after the encoder was loaded from it, and its weights are needed again " +
                    "(to save or train). Load the model again with SentenceEncoder.FromPretrained.");
            }

            using var reader = EngineWeightFile.Open(source);
            return reader.ReadAll();
        }
    }

    /// <summary>Weights held in memory.</summary>
    internal sealed class Memory(Dictionary<string, TensorData> byName, List<TensorData> all) : EncoderWeights
    {
        /// <summary>Reads one weight into the engine's buffer (a <see cref="WeightReader"/>).</summary>
        public bool Read(string name, Span<float> destination)
        {
            if (!byName.TryGetValue(name, out var tensor) || tensor.ElementCount != destination.Length)
            {
                return false;
            }

            System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(tensor.Bytes).CopyTo(destination);   // F32, little-endian, finite (checked when held)
            return true;
        }

        /// <inheritdoc/>
        public override IReadOnlyList<TensorData> ReadAll() => all;
    }

    /// <summary>A file's length and last write time, to notice that it was replaced.</summary>
    private readonly record struct FileStamp(long Length, DateTime LastWriteUtc)
    {
        public static FileStamp Of(string path)
        {
            var info = new FileInfo(path);
            return new FileStamp(info.Length, info.LastWriteTimeUtc);
        }
    }
}
