using System.Runtime.CompilerServices;

namespace SentenceMtl.Tests;

internal static class TestAssemblySetup
{
    /// <summary>
    /// Tests call TorchSharp directly (tiny models, hand-made tensors), sometimes before any SentenceMtl API:
    /// make its native library loadable first, as an application using TorchSharp directly should.
    /// </summary>
    [ModuleInitializer]
    internal static void Initialize() => TorchSharpNative.EnsureLoadable();
}
