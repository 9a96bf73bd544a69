using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using SentenceMtl;
using SentenceMtl.Inference.Vectors;
using SentenceMtl.PortableChecks;

// Usage:
//   SentenceMtl.PortableChecks [--dump <file>] [--kernels-only]   runs the checks (and writes the embeddings' bits)
//   SentenceMtl.PortableChecks compare <dump> <dump>               compares two platforms' embeddings
// Prints one line per check and "N passed, N failed"; exits 1 when a check failed, 2 on bad arguments.
var log = new CheckLog();
if (args is ["write-saved-model", var committed, var parent])
{
    // The saved multi-task model the ARM64 training app predicts with: the committed text files plus seeded weights.
    Console.WriteLine(SentenceMtl.Tests.SavedModelFixture.Create(committed, parent));
    return 0;
}

if (args is ["compare", var first, var second])
{
    EmbeddingComparison.Run(log, first, second);
}
else
{
    string? dumpPath = null;
    bool kernelsOnly = false;
    for (int i = 0; i < args.Length; i++)
    {
        if (args[i] == "--dump" && i + 1 < args.Length)
        {
            dumpPath = args[++i];
        }
        else if (args[i] == "--kernels-only")
        {
            kernelsOnly = true;
        }
        else
        {
            Console.Error.WriteLine($"Unknown argument '{args[i]}'. Usage: [--dump <file>] [--kernels-only] | compare <dump> <dump>");
            return 2;
        }
    }

    Console.WriteLine($"INFO platform: {RuntimeInformation.RuntimeIdentifier}, process {RuntimeInformation.ProcessArchitecture}, .NET {Environment.Version}; " +
        $"AdvSimd {AdvSimd.IsSupported}, AdvSimd.Arm64 {AdvSimd.Arm64.IsSupported}, Dp {Dp.IsSupported}; Fma {Fma.IsSupported}, Ssse3 {Ssse3.IsSupported}, Avx2 {Avx2.IsSupported}; " +
        $"accelerated Vector128 {Vector128.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}, Vector512 {Vector512.IsHardwareAccelerated}; Vector<float> {Vector<float>.Count} lanes");
    Console.WriteLine($"INFO engine default width: float32 {VectorWidths.WidestFor(EncoderQuantization.None)?.ToString() ?? "none"}, int8 {VectorWidths.WidestFor(EncoderQuantization.Int8)?.ToString() ?? "none"}; int8 byte product: {Int8KernelChecks.BytePath}");
    log.Check("128-bit kernels accelerated", VectorWidths.IsAccelerated(VectorWidth.Bits128) && VectorWidths.IsInt8Accelerated(VectorWidth.Bits128),
        "float32 and int8 kernels run at 128 bits in hardware");
    FloatKernelChecks.Run(log);
    Int8KernelChecks.Run(log);
    if (!kernelsOnly)
    {
        using var dump = dumpPath is null ? null : new StreamWriter(dumpPath);
        EngineChecks.Run(log, dump);
    }
}

Console.WriteLine($"{log.Passed} passed, {log.Failed} failed");
return log.Failed == 0 ? 0 : 1;
