namespace SentenceMtl.Checkpoints;

/// <summary>
/// One repository's folder in the Hugging Face hub cache, in huggingface_hub's layout:
/// <c>models--{org}--{name}/blobs/{etag}</c> (file contents), <c>snapshots/{commit}/{file}</c> (relative symlinks to
/// the blobs), <c>refs/{revision}</c> (the commit a branch or tag pointed to), <c>.no_exist/{commit}/{file}</c> (files
/// the hub does not have); locks under <c>{cache}/.locks/models--{org}--{name}/</c>.
/// </summary>
internal sealed class HubRepoCache
{
    private readonly string locks;

    /// <summary>Describes the cache folder of <paramref name="repoId"/> under <paramref name="cacheDirectory"/> (nothing is created).</summary>
    public HubRepoCache(string cacheDirectory, string repoId)
    {
        string folder = "models--" + repoId.Replace("/", "--", StringComparison.Ordinal);
        Root = Path.Combine(cacheDirectory, folder);
        locks = Path.Combine(cacheDirectory, ".locks", folder);
    }

    /// <summary>The repository's folder, <c>models--{org}--{name}</c>.</summary>
    public string Root { get; }

    /// <summary>The snapshot folder of <paramref name="commit"/>.</summary>
    public string Snapshot(string commit) => Path.Combine(Root, "snapshots", commit);

    /// <summary>Where <paramref name="file"/> (a repository path with <c>/</c>) appears in the snapshot of <paramref name="commit"/>.</summary>
    public string SnapshotFile(string commit, string file) => Path.Combine(Snapshot(commit), Local(file));

    /// <summary>The blob with entity tag <paramref name="etag"/>.</summary>
    public string Blob(string etag) => Path.Combine(Root, "blobs", etag);

    /// <summary>The lock file guarding the download of blob <paramref name="etag"/>.</summary>
    public string LockFile(string etag) => Path.Combine(locks, etag + ".lock");

    /// <summary>Whether the hub was found not to have <paramref name="file"/> at <paramref name="commit"/>.</summary>
    public bool IsKnownAbsent(string commit, string file) => File.Exists(Path.Combine(Root, ".no_exist", commit, Local(file)));

    /// <summary>The commit <c>refs/{revision}</c> names, or null.</summary>
    public string? ReadRef(string revision)
    {
        string path = Path.Combine(Root, "refs", Local(revision));
        string? commit = File.Exists(path) ? BoundedFile.ReadAllText(path, 4096).Trim() : null;
        return commit is not null && HubModelReference.IsCommitHash(commit) ? commit : null;
    }

    /// <summary>Records that <paramref name="revision"/> points to <paramref name="commit"/> (atomically).</summary>
    public void WriteRef(string revision, string commit)
    {
        if (ReadRef(revision) == commit)
        {
            return;
        }

        string path = Path.Combine(Root, "refs", Local(revision));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temp = TempName(path);
        File.WriteAllText(temp, commit);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Records that the hub has no <paramref name="file"/> at <paramref name="commit"/>.</summary>
    public void MarkAbsent(string commit, string file)
    {
        string path = Path.Combine(Root, ".no_exist", commit, Local(file));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, []);
    }

    /// <summary>
    /// Makes <paramref name="file"/> of <paramref name="commit"/> point to blob <paramref name="etag"/>: a relative
    /// symlink (<c>../../blobs/{etag}</c>, one more <c>../</c> per sub-folder), or a copy where the file system has
    /// no symlinks. The entry appears complete or not at all (created beside, then renamed).
    /// </summary>
    public void Link(string commit, string file, string etag)
    {
        string path = SnapshotFile(commit, file);
        string folder = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(folder);
        string temp = TempName(path);
        try
        {
            File.CreateSymbolicLink(temp, Path.GetRelativePath(folder, Blob(etag)));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            File.Copy(Blob(etag), temp);
        }

        File.Move(temp, path, overwrite: true);
    }

    private static string Local(string repoPath) => repoPath.Replace('/', Path.DirectorySeparatorChar);

    private static string TempName(string path) => $"{path}.tmp-{Guid.NewGuid():N}";
}
