using System.Runtime.InteropServices;
using SentenceMtl.Native;

namespace SentenceMtl;

/// <summary>
/// Makes TorchSharp's native library loadable on Linux systems whose libstdc++ predates GCC 13
/// (Debian 12, Ubuntu 22.04: <c>GLIBCXX_3.4.30</c>).
/// </summary>
/// <remarks>
/// <para>
/// TorchSharp 0.107's <c>libLibTorchSharp.so</c> requires <c>GLIBCXX_3.4.32</c> for exactly one symbol,
/// <c>_ZSt21ios_base_library_initv</c>: a marker GCC 13 links into every object that includes
/// <c>&lt;iostream&gt;</c>; nothing calls it through a relocation. Every other requirement is at most
/// <c>GLIBCXX_3.4.30</c>. When the running system's libstdc++ lacks that version, this class marks that one
/// requirement weak (<c>VER_FLG_WEAK</c> in <c>.gnu.version_r</c>), so the dynamic loader accepts the library.
/// </para>
/// <para>
/// The patch is surgical: it is applied only when the system lacks the version, only if that version
/// covers nothing but the marker symbol, only to the application's own copy of the library (its output or
/// publish folder) — never to the NuGet package cache or the system — and atomically (temporary file + rename),
/// so concurrent processes are safe. SentenceMtl calls <see cref="EnsureLoadable"/> before its first use of
/// TorchSharp; an application that calls TorchSharp directly first should call it at start-up.
/// </para>
/// <para>
/// This is the fallback. The SentenceMtl.Training package's build step (<c>buildTransitive/SentenceMtl.Training.targets</c>) already
/// marks the requirement weak in the build and publish folders' copies, so a published application starts in a
/// read-only folder: finding the copy weak, this class only reads it.
/// </para>
/// </remarks>
public static class TorchSharpNative
{
    /// <summary>The libstdc++ version that TorchSharp's native library asks for.</summary>
    public const string RequiredVersion = GlibcxxRequirement.Version;

    /// <summary>The only symbol that carries <see cref="RequiredVersion"/> in the native library.</summary>
    public const string MarkerSymbol = GlibcxxRequirement.MarkerSymbol;

    private const string LibraryFileName = "libLibTorchSharp.so";
    private static readonly Lazy<string> Outcome = new(Apply, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Ensures that TorchSharp's native library can be loaded, patching the application's copy once if needed.
    /// Idempotent and thread-safe; a no-op on Windows, macOS and systems with a new enough libstdc++.
    /// </summary>
    /// <returns>A one-line description of what was found or done (for logs).</returns>
    /// <exception cref="InvalidOperationException">The library needs patching but cannot be patched safely.</exception>
    /// <exception cref="PlatformNotSupportedException">TorchSharp ships no libtorch for this platform (see <see cref="SupportedPlatforms"/>).</exception>
    public static string EnsureLoadable()
    {
        RequireSupportedPlatform();
        return Outcome.Value;
    }

    /// <summary>The platforms TorchSharp-cpu 0.107 ships libtorch for; training runs only there.</summary>
    public static IReadOnlyList<string> SupportedPlatforms { get; } = ["linux-x64", "win-x64", "osx-arm64"];

    /// <summary>
    /// Refuses a platform without libtorch before any TorchSharp code runs: there, loading the native library aborts the
    /// process (no exception to catch), so this check is what turns it into an error the caller can read.
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">The message names this platform, the supported ones and the way out.</exception>
    internal static void RequireSupportedPlatform()
    {
        string platform = CurrentPlatform();
        if (!SupportedPlatforms.Contains(platform))
        {
            throw new PlatformNotSupportedException(
                $"SentenceMtl.Training trains on libtorch, which TorchSharp-cpu ships for {string.Join(", ", SupportedPlatforms)} only; " +
                $"this process runs on {platform}. Train on one of those and copy the saved folder here: the core SentenceMtl " +
                "package loads, embeds and predicts on every platform .NET runs on.");
        }
    }

    /// <summary>This process's platform as a runtime identifier's operating system and architecture (<c>linux-arm64</c>).</summary>
    internal static string CurrentPlatform()
    {
        string os = OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : RuntimeInformation.OSDescription;
        return $"{os}-{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}";
    }

    private static string Apply() => OpenMpWaitPolicy.Apply() + " " + ApplyPatch();

    private static string ApplyPatch()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return "not Linux x64: nothing to do.";
        }

        string? libstdcxx = FindLoadedLibStdCxx();
        if (libstdcxx is null)
        {
            return "libstdc++ is not loaded in this process: nothing to check.";
        }

        if (ElfImage.Read(libstdcxx).DefinedVersions().Contains(RequiredVersion))
        {
            return $"{libstdcxx} provides {RequiredVersion}: nothing to do.";
        }

        string? library = FindAppLibrary();
        if (library is null)
        {
            return $"{LibraryFileName} not found in the native search directories: nothing to do.";
        }

        return PatchFile(library);
    }

    /// <summary>Patches <paramref name="library"/> in place if it has a strong requirement on the version.</summary>
    internal static string PatchFile(string library)
    {
        try
        {
            return GlibcxxRequirement.Weaken(library);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException(
                $"{library} needs {RequiredVersion}, which this system's libstdc++ lacks, and could not be patched " +
                $"({ex.Message}). Publish the application with the SentenceMtl.Training package's build step, which marks the copy weak " +
                "(on unless the MSBuild property SentenceMtlWeakenGlibcxxRequirement is false), make the application " +
                "folder writable once, or install a libstdc++ from GCC 13 or newer.", ex);
        }
    }

    private static string? FindLoadedLibStdCxx()
    {
        const string maps = "/proc/self/maps";
        if (!File.Exists(maps))
        {
            return null;
        }

        return File.ReadLines(maps)
            .Select(line => line.IndexOf('/', StringComparison.Ordinal) is var i and >= 0 ? line[i..] : null)
            .FirstOrDefault(p => p is not null && Path.GetFileName(p).StartsWith("libstdc++.so", StringComparison.Ordinal));
    }

    private static string? FindAppLibrary()
    {
        var directories = (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") as string ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append(AppContext.BaseDirectory)
            .Append(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native"));
        return directories.Select(d => Path.Combine(d, LibraryFileName)).FirstOrDefault(File.Exists);
    }
}
