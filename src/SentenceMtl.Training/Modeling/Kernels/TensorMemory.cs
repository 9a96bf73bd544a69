using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace SentenceMtl.Modeling.Kernels;

/// <summary>Direct access to the values of a contiguous float32 CPU tensor (valid while the tensor lives).</summary>
internal static unsafe class TensorMemory
{
    /// <summary>Whether <see cref="Values"/> can read the tensor: contiguous float32 values on the CPU.</summary>
    public static bool IsReadable(Tensor t) =>
        t.device_type == DeviceType.CPU && t.dtype == ScalarType.Float32 && t.is_contiguous();

    /// <summary>The tensor's values, its storage offset included, without copying.</summary>
    public static Span<float> Values(Tensor t) => MemoryMarshal.Cast<byte, float>(t.bytes);

    /// <summary>The address of the first value, for the kernels.</summary>
    public static float* Pointer(Tensor t) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(Values(t)));
}
