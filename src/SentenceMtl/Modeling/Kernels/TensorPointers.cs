using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace SentenceMtl.Modeling.Kernels;

/// <summary>Raw access to a tensor's values for the kernels.</summary>
internal static unsafe class TensorPointers
{
    /// <summary>The first element of a contiguous float32 CPU tensor, its storage offset included (valid while the tensor lives).</summary>
    public static float* Of(Tensor t) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(t.bytes));
}
