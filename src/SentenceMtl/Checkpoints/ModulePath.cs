namespace SentenceMtl.Checkpoints;

/// <summary>
/// The folder a <c>modules.json</c> entry names (<c>"path": "1_Pooling"</c>), checked to stay inside the model folder:
/// a relative path of plain segments, no <c>.</c> or <c>..</c>, no backslash, drive or leading <c>/</c>. Used both
/// for a repository on the hub and for a folder on disk, so a hostile <c>modules.json</c> can read nothing outside.
/// </summary>
internal static class ModulePath
{
    /// <summary>Whether <paramref name="path"/> (with <c>/</c> separators, empty for the root) names a folder inside the model.</summary>
    public static bool IsInside(string path) =>
        !path.StartsWith('/')
        && !path.Contains('\\', StringComparison.Ordinal)
        && !path.Contains(':', StringComparison.Ordinal)
        && !path.Any(char.IsControl)
        && path.TrimEnd('/').Split('/').All(s => path.Length == 0 || s is not ("" or "." or ".."));

    /// <summary>
    /// <paramref name="path"/> (from <paramref name="modulesFile"/>) as a folder under <paramref name="root"/>, after
    /// <see cref="IsInside"/> and a check that the full path really lies under the root — also once a module folder
    /// that is a symbolic link is resolved. (Files are not resolved: in the hub cache every file is a link into
    /// <c>blobs/</c>, outside the snapshot folder by design.)
    /// </summary>
    /// <exception cref="ModelFormatException">The path leaves the model folder.</exception>
    public static string Resolve(string root, string path, string modulesFile)
    {
        string fullRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        string full = Path.GetFullPath(Path.Combine(fullRoot, path.TrimEnd('/').Replace('/', Path.DirectorySeparatorChar)));
        bool Under(string candidate) =>
            candidate == fullRoot || candidate.StartsWith(fullRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal);

        // Every folder between the root and the module's folder that is a symbolic link must point under the root.
        bool LinksStayInside()
        {
            for (string? dir = full; dir is not null && dir.Length > fullRoot.Length; dir = Path.GetDirectoryName(dir))
            {
                var info = new DirectoryInfo(dir);
                if (info.LinkTarget is not null
                    && (info.ResolveLinkTarget(returnFinalTarget: true) is not { } target || !Under(Path.TrimEndingDirectorySeparator(target.FullName))))
                {
                    return false;
                }
            }

            return true;
        }

        bool inside = IsInside(path) && Under(full) && LinksStayInside();
        return inside
            ? full
            : throw new ModelFormatException(modulesFile,
                $"module path '{ErrorText.Shorten(path)}' is not a folder inside the model folder {fullRoot} " +
                "(it must be relative, without '.' or '..' segments, e.g. \"1_Pooling\").");
    }
}
