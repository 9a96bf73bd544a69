using System.Runtime.CompilerServices;

namespace SentenceMtl.Server.Tests;

internal static class TestAssemblySetup
{
    /// <summary>The tiny model is built with TorchSharp directly, before any SentenceMtl API: make its native library
    /// loadable first, as an application using TorchSharp directly should.</summary>
    [ModuleInitializer]
    internal static void Initialize() => TorchSharpNative.EnsureLoadable();
}
