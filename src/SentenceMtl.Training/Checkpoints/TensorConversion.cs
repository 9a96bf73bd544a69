using System.Collections;
using System.Runtime.InteropServices;
using SentenceMtl.Serialization;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace SentenceMtl.Checkpoints;

/// <summary>Copies between managed <see cref="TensorData"/> (file bytes) and CPU torch tensors.</summary>
internal static class TensorConversion
{
    /// <summary>A new CPU tensor with the data's dtype and shape; the caller owns it.</summary>
    public static Tensor ToTorch(TensorData data)
    {
        var shape = data.Shape;
        return data.DType switch
        {
            TensorDType.F32 => tensor(MemoryMarshal.Cast<byte, float>(data.Bytes).ToArray(), shape),
            TensorDType.F64 => tensor(MemoryMarshal.Cast<byte, double>(data.Bytes).ToArray(), shape),
            TensorDType.F16 => tensor(MemoryMarshal.Cast<byte, Half>(data.Bytes).ToArray(), shape),
            TensorDType.BF16 => tensor(data.ToFloats(), shape).to_type(ScalarType.BFloat16),
            TensorDType.I64 => tensor(MemoryMarshal.Cast<byte, long>(data.Bytes).ToArray(), shape),
            TensorDType.I32 => tensor(MemoryMarshal.Cast<byte, int>(data.Bytes).ToArray(), shape),
            TensorDType.I16 => tensor(MemoryMarshal.Cast<byte, short>(data.Bytes).ToArray(), shape),
            TensorDType.I8 => tensor(MemoryMarshal.Cast<byte, sbyte>(data.Bytes).ToArray(), shape),
            TensorDType.U8 => tensor(data.Bytes.ToArray(), shape),
            TensorDType.Bool => tensor(data.Bytes.Select(b => b != 0).ToArray(), shape),
            _ => throw new ArgumentOutOfRangeException(nameof(data), data.DType, "Unknown dtype."),
        };
    }

    /// <summary>
    /// Reads a safetensors file straight into new CPU tensors, keyed by name: the header is validated in full first
    /// (as by <see cref="SafetensorsReader"/>), then each tensor's bytes go from the file into its native buffer, so
    /// loading never holds a managed copy of the weights.
    /// </summary>
    /// <exception cref="ModelFormatException">The file is missing, breaks a rule of the format or ends early; no tensor is left allocated.</exception>
    public static Dictionary<string, Tensor> ReadSafetensors(string path)
    {
        using var stream = SafetensorsReader.Open(path);
        var header = SafetensorsHeader.Read(stream, path);
        var result = new Dictionary<string, Tensor>(header.Entries.Count, StringComparer.Ordinal);
        try
        {
            // Bools arrive as bytes: torch bools must be 0 or 1, and every non-zero byte means true (as in ToTorch).
            SafetensorsReader.ReadEntries(stream, header, path, entry =>
            {
                var t = empty(entry.Shape, entry.DType == TensorDType.Bool ? ScalarType.Byte : ScalarTypeOf(entry.DType));
                result.Add(entry.Name, t);
                return t.bytes;                                                                 // file → native memory
            });
            foreach (var entry in header.Entries.Where(e => e.DType == TensorDType.Bool))
            {
                using var bytes = result[entry.Name];
                result[entry.Name] = bytes.ne(0);
            }

            return result;
        }
        catch
        {
            foreach (var t in result.Values)
            {
                t.Dispose();
            }

            throw;
        }
    }

    private static ScalarType ScalarTypeOf(TensorDType dtype) => dtype switch
    {
        TensorDType.F64 => ScalarType.Float64,
        TensorDType.F32 => ScalarType.Float32,
        TensorDType.F16 => ScalarType.Float16,
        TensorDType.BF16 => ScalarType.BFloat16,
        TensorDType.I64 => ScalarType.Int64,
        TensorDType.I32 => ScalarType.Int32,
        TensorDType.I16 => ScalarType.Int16,
        TensorDType.I8 => ScalarType.Int8,
        TensorDType.U8 => ScalarType.Byte,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "No torch dtype with the same bytes."),
    };

    /// <summary>The tensor's values as float32 <see cref="TensorData"/> named <paramref name="name"/>.</summary>
    public static TensorData ToData(string name, Tensor t)
    {
        using var cpu = t.detach().to(CPU).to_type(ScalarType.Float32).contiguous();
        return TensorData.FromFloats(name, cpu.shape, cpu.data<float>().ToArray());
    }

    /// <summary>Reads a weight file (<c>.safetensors</c>, or a <c>torch.save</c> state dict after <see cref="PyTorchArchive"/>'s
    /// checks) into CPU tensors keyed by checkpoint name; the caller disposes them.</summary>
    /// <exception cref="ModelFormatException">The file is missing or damaged, or an entry is not a named tensor.</exception>
    public static Dictionary<string, Tensor> ReadWeightFile(string path)
    {
        if (path.EndsWith(".safetensors", StringComparison.Ordinal))
        {
            return ReadSafetensors(path);
        }

        Hashtable table;
        try
        {
            using var stream = File.OpenRead(path);
            PyTorchArchive.Check(stream, path);                                                 // no zip bomb reaches the unpickler
            table = PyTorchUnpickler.UnpickleStateDict(stream, leaveOpen: true);
        }
        catch (Exception ex) when (ex is not (OutOfMemoryException or ModelFormatException))
        {
            throw new ModelFormatException(path, $"not a readable PyTorch state dict ({ex.Message}).", ex);
        }

        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Key is not string key || entry.Value is not Tensor value)
            {
                throw new ModelFormatException(path, $"entry '{entry.Key}' is not a named tensor.");
            }

            result[key] = value;
        }

        return result;
    }
}
