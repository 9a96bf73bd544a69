using SentenceMtl.Native;
using TorchSharp;

namespace SentenceMtl.Tests.Native;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class TorchSharpNativeTests
{
    [Fact]
    public void TorchSharp_loads_and_computes_on_this_machine()
    {
        TorchSharpNative.EnsureLoadable();
        using var a = torch.tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        using var b = torch.matmul(a, a);
        Assert.Equal(new float[] { 7, 10, 15, 22 }, b.data<float>().ToArray());
    }

    [Fact]
    public void App_copy_of_the_native_library_has_no_strong_requirement_the_system_lacks()
    {
        TorchSharpNative.EnsureLoadable();
        var library = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(library), library);
        var requirement = ElfImage.Read(library).RequiredVersions().Single(r => r.Version == TorchSharpNative.RequiredVersion);
        bool systemHasIt = File.ReadLines("/proc/self/maps").Any(l => l.Contains("libstdc++", StringComparison.Ordinal)
            && ElfImage.Read(l[l.IndexOf('/', StringComparison.Ordinal)..]).DefinedVersions().Contains(TorchSharpNative.RequiredVersion));
        Assert.True(systemHasIt || (requirement.Flags & ElfImage.VerFlagWeak) != 0);
    }

    [Fact]
    public void Only_the_iostream_marker_symbol_carries_the_missing_version()
    {
        var library = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        var image = ElfImage.Read(library);
        var requirement = image.RequiredVersions().Single(r => r.Version == TorchSharpNative.RequiredVersion);
        Assert.Equal([TorchSharpNative.MarkerSymbol], image.SymbolsWithVersion(requirement.Index));
    }

    [Fact]
    public void Patching_a_copy_sets_only_the_weak_flag_and_is_idempotent()
    {
        var library = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        var dir = Directory.CreateTempSubdirectory("sentencemtl-elf");
        try
        {
            var copy = Path.Combine(dir.FullName, "libLibTorchSharp.so");
            File.Copy(library, copy);
            var original = ElfImage.Read(copy);
            var requirement = original.RequiredVersions().Single(r => r.Version == TorchSharpNative.RequiredVersion);
            original.SetRequirementFlags(requirement, (ushort)(requirement.Flags & ~ElfImage.VerFlagWeak));
            File.WriteAllBytes(copy, original.Bytes);
            byte[] before = File.ReadAllBytes(copy);

            TorchSharpNative.PatchFile(copy);
            byte[] after = File.ReadAllBytes(copy);

            var differing = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToArray();
            Assert.Equal([requirement.FlagsOffset], differing.Select(i => (long)i));
            Assert.Contains("nothing to do", TorchSharpNative.PatchFile(copy), StringComparison.Ordinal);
            Assert.Equal(after, File.ReadAllBytes(copy));
            Assert.Single(Directory.GetFiles(dir.FullName));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
