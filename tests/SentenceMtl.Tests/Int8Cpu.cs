using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace SentenceMtl.Tests;

/// <summary>Whether this CPU can run an int8 encoder, judged from the instruction sets the documentation names
/// (FMA with AVX-512BW, AVX2 or SSSE3, or ARM64) rather than from the kernels' own width tables.</summary>
internal static class Int8Cpu
{
    public static bool Supported =>
        (Fma.IsSupported && (Avx512BW.IsSupported || Avx2.IsSupported || Ssse3.IsSupported)) || AdvSimd.Arm64.IsSupported;

    public const string SkipReason = "This CPU has none of the instruction sets the int8 kernels need.";
}
