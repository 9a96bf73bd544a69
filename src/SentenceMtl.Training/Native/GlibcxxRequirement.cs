namespace SentenceMtl.Native;

/// <summary>
/// Marks TorchSharp's <c>GLIBCXX_3.4.32</c> requirement weak in one copy of <c>libLibTorchSharp.so</c>. Shared by the
/// run-time fix (<c>TorchSharpNative</c>) and the build-time tool shipped in the package
/// (<c>SentenceMtl.NativePatch</c>, which links this file, <see cref="ElfImage"/> and
/// <see cref="ModelFormatException"/>), so both apply exactly the same checks and the same one-field edit.
/// </summary>
internal static class GlibcxxRequirement
{
    /// <summary>The libstdc++ version that TorchSharp's native library asks for.</summary>
    public const string Version = "GLIBCXX_3.4.32";

    /// <summary>The only symbol that carries <see cref="Version"/> in the native library.</summary>
    public const string MarkerSymbol = "_ZSt21ios_base_library_initv";

    /// <summary>Whether <paramref name="library"/> has a requirement on <see cref="Version"/> that is not weak.</summary>
    public static bool IsStrong(string library) =>
        ElfImage.Read(library).RequiredVersions().Any(r => r.Version == Version && (r.Flags & ElfImage.VerFlagWeak) == 0);

    /// <summary>
    /// Sets <c>VER_FLG_WEAK</c> on the <see cref="Version"/> requirement of <paramref name="library"/>, if it has a
    /// strong one, by writing a temporary file beside it and renaming it over the original (atomic for concurrent
    /// readers; replaces a hard link instead of writing through it into the file it shares). Only that two-byte field
    /// changes; the file mode and the last-write time are kept, so an incremental build, which copies a package's
    /// file again only when its size or time differs, sees the copy as up to date. A file that needs nothing is
    /// only read, so a read-only folder holding an already-weak copy is never written to.
    /// </summary>
    /// <returns>A one-line description of what was found or done (for logs).</returns>
    /// <exception cref="InvalidOperationException">The version covers more than the marker symbol (weakening it
    /// would not be safe), or the file lies inside the NuGet package cache, which is never modified.</exception>
    /// <exception cref="IOException">The folder is not writable (also <see cref="UnauthorizedAccessException"/>).</exception>
    public static string Weaken(string library)
    {
        var image = ElfImage.Read(library);
        var requirement = image.RequiredVersions().SingleOrDefault(r => r.Version == Version);
        if (requirement is null || (requirement.Flags & ElfImage.VerFlagWeak) != 0)
        {
            return $"{library} has no strong {Version} requirement: nothing to do.";
        }

        var symbols = image.SymbolsWithVersion(requirement.Index);
        if (symbols.Count != 1 || symbols[0] != MarkerSymbol)
        {
            throw new InvalidOperationException(
                $"{library} requires {Version} for [{string.Join(", ", symbols)}], not only {MarkerSymbol}; " +
                "marking it weak would not be safe. Install a libstdc++ from GCC 13 or newer.");
        }

        if (IsInsideNuGetCache(library))
        {
            throw new InvalidOperationException(
                $"{library} lies in the NuGet package cache, which SentenceMtl never modifies. Patch the copy in the " +
                "application's build or publish folder instead (the default for 'dotnet run', 'dotnet test' and published apps).");
        }

        image.SetRequirementFlags(requirement, (ushort)(requirement.Flags | ElfImage.VerFlagWeak));
        Replace(library, image.Bytes);
        return $"{library}: marked {Version} weak (only {MarkerSymbol} uses it).";
    }

    private static void Replace(string library, byte[] bytes)
    {
        var lastWrite = File.GetLastWriteTimeUtc(library);
        string temp = $"{library}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temp, File.GetUnixFileMode(library));
            }

            File.SetLastWriteTimeUtc(temp, lastWrite);
            File.Move(temp, library, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    private static bool IsInsideNuGetCache(string file)
    {
        for (var dir = Path.GetDirectoryName(Path.GetFullPath(file)); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, ".nupkg.metadata")))
            {
                return true;
            }
        }

        return false;
    }
}
