using System.Runtime.InteropServices;
using SentenceMtl.Serialization;
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

    /// <summary>The tensor's values as float32 <see cref="TensorData"/> named <paramref name="name"/>.</summary>
    public static TensorData ToData(string name, Tensor t)
    {
        using var cpu = t.detach().to(CPU).to_type(ScalarType.Float32).contiguous();
        return TensorData.FromFloats(name, cpu.shape, cpu.data<float>().ToArray());
    }
}
