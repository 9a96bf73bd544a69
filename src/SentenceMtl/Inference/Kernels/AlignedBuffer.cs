using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SentenceMtl.Inference.Kernels;

/// <summary>
/// Floats in a pinned managed array, starting on a 64-byte boundary (one cache line, one 512-bit vector), for the
/// kernels' raw pointers.
/// </summary>
/// <remarks>
/// The array lives on the pinned object heap, so <see cref="Pointer"/> stays valid for as long as this object is
/// reachable, and the garbage collector frees it only once no call holds the object any more. Nothing is freed by
/// hand, so a kernel cannot read released memory while another thread drops its owner.
/// </remarks>
internal sealed unsafe class AlignedBuffer
{
    private const int Alignment = 64;
    private const int Slack = Alignment / sizeof(float);

    private readonly float[] array;
    private readonly int offset;

    /// <summary>Allocates <paramref name="length"/> floats, zeroed.</summary>
    /// <param name="length">How many floats (at most <c>Array.MaxLength</c> − 16).</param>
    public AlignedBuffer(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Array.MaxLength - Slack);
        array = GC.AllocateArray<float>((int)length + Slack, pinned: true);
        nint start = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        offset = (int)(((Alignment - (start % Alignment)) % Alignment) / sizeof(float));
        Length = (int)length;
        Pointer = (float*)start + offset;
    }

    /// <summary>The first float, 64-byte aligned.</summary>
    public float* Pointer { get; }

    /// <summary>How many floats.</summary>
    public int Length { get; }

    /// <summary>The floats as a span.</summary>
    public Span<float> Span => array.AsSpan(offset, Length);
}
