using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace SentenceMtl.Inference.Vectors;

/// <summary>Which vector widths this machine runs in hardware, as the JIT reports them.</summary>
internal static class VectorWidths
{
    /// <summary>
    /// Whether the kernels run at <paramref name="width"/> in hardware: the JIT accelerates that vector size and fused
    /// multiply-add is an instruction (FMA3 on x64, always on ARM64). Without FMA, <c>FusedMultiplyAdd</c> is computed in
    /// software, which is correct but slow (the engine then runs the 128-bit kernels on software vectors).
    /// </summary>
    public static bool IsAccelerated(VectorWidth width) => width switch
    {
        VectorWidth.Bits512 => Vector512.IsHardwareAccelerated && Avx512F.IsSupported,
        VectorWidth.Bits256 => Vector256.IsHardwareAccelerated && Fma.IsSupported,
        VectorWidth.Bits128 => Vector128.IsHardwareAccelerated && (Fma.IsSupported || AdvSimd.Arm64.IsSupported),
        _ => false,
    };

    /// <summary>
    /// Whether the int8 products run at <paramref name="width"/> too: on top of <see cref="IsAccelerated"/>, byte and
    /// 16-bit multiply-add of adjacent pairs at that width (AVX-512BW, AVX2, SSSE3; ARM64 at 128 bits, with its
    /// dot-product instructions where present).
    /// </summary>
    public static bool IsInt8Accelerated(VectorWidth width) => IsAccelerated(width) && width switch
    {
        VectorWidth.Bits512 => Avx512BW.IsSupported,
        VectorWidth.Bits256 => Avx2.IsSupported,
        VectorWidth.Bits128 => Ssse3.IsSupported || AdvSimd.Arm64.IsSupported,
        _ => false,
    };

    /// <summary>Every width <see cref="IsAccelerated"/> reports, widest first (empty: 128 bits in software).</summary>
    public static IReadOnlyList<VectorWidth> Accelerated { get; } =
        [.. new[] { VectorWidth.Bits512, VectorWidth.Bits256, VectorWidth.Bits128 }.Where(IsAccelerated)];

    /// <summary>The widest accelerated width, or null when none is (then the engine runs 128 bits in software).</summary>
    public static VectorWidth? Widest => Accelerated.Count > 0 ? Accelerated[0] : null;

    /// <summary>Whether the kernels for <paramref name="quantization"/> run at <paramref name="width"/>:
    /// <see cref="IsAccelerated"/> for float32, <see cref="IsInt8Accelerated"/> for int8.</summary>
    public static bool Runs(VectorWidth width, EncoderQuantization quantization) =>
        quantization == EncoderQuantization.Int8 ? IsInt8Accelerated(width) : IsAccelerated(width);

    /// <summary>The widest width whose kernels for <paramref name="quantization"/> run here, or null when none does.</summary>
    public static VectorWidth? WidestFor(EncoderQuantization quantization) =>
        Accelerated.Where(w => Runs(w, quantization)).Cast<VectorWidth?>().FirstOrDefault();
}
