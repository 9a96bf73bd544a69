using System.Security.Cryptography;
using SentenceMtl.Native;

namespace SentenceMtl.Tests.Packaging;

/// <summary>
/// The read-only deployment step of <see cref="PackageConsumerFixture"/>: publishes the consumer for linux-x64
/// (framework-dependent), makes that folder read-only and runs it as an unprivileged user (uid/gid 65534, no
/// supplementary groups, a clean environment whose HOME does not exist), as a container with a read-only image would.
/// The package's build step must have marked the native library's libstdc++ requirement weak at publish time, since the
/// run-time fallback cannot write there.
/// </summary>
public sealed partial class PackageConsumerFixture
{
    private const int Nobody = 65534;

    /// <summary>The linux-x64 publish folder that is made read-only (the flat layout: natives beside the app).</summary>
    public string ReadOnlyPublishOutput => Path.Combine(root, "publish-linux-x64");

    /// <summary>Why the unprivileged run could not happen here (not root, no setpriv, a folder uid 65534 cannot
    /// reach); null when it ran.</summary>
    public string? ReadOnlyRunSkipReason { get; private set; }

    /// <summary>What a shell started exactly like the app printed: its uid and gid, then whether it could write to the
    /// folder or the native library ("writable" or "read-only").</summary>
    public string ReadOnlyProbe { get; private set; } = "";

    /// <summary>What the unprivileged run of the read-only published app printed.</summary>
    public string ReadOnlyRun { get; private set; } = "";

    /// <summary>Whether the read-only folder's copy of the native library had a weak GLIBCXX_3.4.32 requirement right
    /// after publishing, before anything ran.</summary>
    public bool ReadOnlyNativeWeakBeforeRun { get; private set; }

    /// <summary>SHA-256 of the read-only folder's native library before and after the unprivileged run.</summary>
    public string? ReadOnlyNativeHashBefore { get; private set; }

    public string? ReadOnlyNativeHashAfter { get; private set; }

    /// <summary>The control: what the same app printed (or the failure it reported) when run the same way from a
    /// read-only folder whose native library is TorchSharp's original, as if the build step had been turned off.</summary>
    public string StrongCopyRun { get; private set; } = "";

    private string StrongCopyOutput => Path.Combine(root, "publish-linux-x64-strong");

    private void PublishReadOnlyAndRunUnprivileged(IReadOnlyDictionary<string, string> environment)
    {
        DotnetCli.Run(App, StepTimeout, environment, "publish", "-c", "Release", "-r", "linux-x64", "--self-contained", "false",
            "-o", ReadOnlyPublishOutput, "--disable-build-servers");
        string library = Path.Combine(ReadOnlyPublishOutput, "libLibTorchSharp.so");
        ReadOnlyNativeWeakBeforeRun = File.Exists(library) && !GlibcxxRequirement.IsStrong(library);
        ReadOnlyNativeHashBefore = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(library)));

        string host = ResolveHost();
        ReadOnlyRunSkipReason = UnprivilegedRunUnavailable(host);
        if (ReadOnlyRunSkipReason is not null || !OperatingSystem.IsLinux())
        {
            return;
        }

        // The control folder: hard links to the published files (no second 650 MB), but a copy of the original library.
        DotnetCli.RunProgram("cp", root, StepTimeout, null, "-al", ReadOnlyPublishOutput, StrongCopyOutput);
        File.Delete(Path.Combine(StrongCopyOutput, "libLibTorchSharp.so"));
        File.Copy(CachedNativeLibrary ?? library, Path.Combine(StrongCopyOutput, "libLibTorchSharp.so"));

        // Only the path to the app is opened to others: the fixture's folders become traversable, not listable.
        File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherExecute);
        SetWritable(ReadOnlyPublishOutput, writable: false);
        SetWritable(StrongCopyOutput, writable: false);
        try
        {
            // HF_HUB_OFFLINE: the embedded model must load without the hub, from its folder in the read-only app; nothing
            // is written anywhere (HOME does not exist).
            ReadOnlyProbe = RunUnprivileged("sh", "-c",
                "id -u; id -g; if test -w \"$1\" || test -w \"$1/libLibTorchSharp.so\"; then echo writable; else echo read-only; fi",
                "sh", ReadOnlyPublishOutput);
            ReadOnlyRun = RunUnprivileged(host, Path.Combine(ReadOnlyPublishOutput, "Consumer.dll"), "encode-only");
            try
            {
                StrongCopyRun = RunUnprivileged(host, Path.Combine(StrongCopyOutput, "Consumer.dll"), "encode-only");
            }
            catch (InvalidOperationException ex)
            {
                StrongCopyRun = ex.Message; // the command line, its exit code and its output
            }
        }
        finally
        {
            ReadOnlyNativeHashAfter = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(library)));
            SetWritable(ReadOnlyPublishOutput, writable: true); // so the fixture can delete what it made
            SetWritable(StrongCopyOutput, writable: true);
        }
    }

    // Runs a program as uid/gid 65534 without supplementary groups, in a clean environment whose HOME does not exist.
    private string RunUnprivileged(params string[] command) =>
        DotnetCli.RunProgram("setpriv", ReadOnlyPublishOutput, StepTimeout, null,
            [$"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", "--",
             "env", "-i", "PATH=/usr/bin:/bin", "HOME=/nonexistent", "HF_HUB_OFFLINE=1", "DOTNET_NOLOGO=1", .. command]);

    // `chmod -R a-w` (or u+w back), keeping everything readable by others and folders traversable.
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static void SetWritable(string folder, bool writable)
    {
        const UnixFileMode write = UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;
        var entries = new DirectoryInfo(folder).EnumerateFileSystemInfos("*", SearchOption.AllDirectories)
            .Prepend(new DirectoryInfo(folder)).ToList();
        foreach (var entry in entries)
        {
            var mode = (entry.UnixFileMode & ~write) | UnixFileMode.OtherRead
                | (entry is DirectoryInfo ? UnixFileMode.OtherExecute : 0)
                | (writable ? UnixFileMode.UserWrite : 0);
            entry.UnixFileMode = mode;
        }
    }

    private static string ResolveHost()
    {
        string host = DotnetCli.Host;
        if (!Path.IsPathRooted(host))
        {
            host = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
                .Select(d => Path.Combine(d, host)).FirstOrDefault(File.Exists) ?? host;
        }

        return File.ResolveLinkTarget(host, returnFinalTarget: true)?.FullName ?? host;
    }

    private string? UnprivilegedRunUnavailable(string host)
    {
        if (!OperatingSystem.IsLinux())
        {
            return "the read-only, unprivileged run needs Linux.";
        }

        if (!Environment.IsPrivilegedProcess)
        {
            return "the read-only, unprivileged run needs root (to drop to uid 65534 with setpriv); run the tests as root.";
        }

        if (!File.Exists("/usr/bin/setpriv") && !File.Exists("/bin/setpriv"))
        {
            return "setpriv (util-linux) is not installed.";
        }

        if (!Path.IsPathRooted(host) || !File.Exists(host) || !Directory.Exists(Path.Combine(Path.GetDirectoryName(host)!, "shared")))
        {
            return $"the dotnet host '{host}' was not found.";
        }

        string runtimes = Path.Combine(Path.GetDirectoryName(host)!, "shared", "Microsoft.NETCore.App");
        foreach (string path in new[] { host, runtimes, Path.GetDirectoryName(root)! })
        {
            if (FirstBlocked(path) is { } blocked)
            {
                return $"{blocked} is not readable and traversable by others, so uid {Nobody} cannot reach {path}.";
            }
        }

        return null;
    }

    // The first of path (which others must read and execute: the host, a runtime folder) and its ancestors (which
    // they must traverse) that others cannot pass; null when uid 65534 can reach it.
    private static string? FirstBlocked(string path)
    {
        const UnixFileMode readAndExecute = UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        FileSystemInfo target = Directory.Exists(path) ? new DirectoryInfo(path) : new FileInfo(path);
        if ((target.UnixFileMode & readAndExecute) != readAndExecute)
        {
            return target.FullName;
        }

        for (var dir = Directory.GetParent(target.FullName); dir is not null; dir = dir.Parent)
        {
            if ((dir.UnixFileMode & UnixFileMode.OtherExecute) == 0)
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
