using System.Diagnostics;

namespace SentenceMtl.Benchmarks;

/// <summary>Runs this same executable in a child mode and returns the last line it printed.</summary>
internal static class ChildProcess
{
    /// <summary>Runs <c>this-exe args…</c>, waits for it, and returns its last line of standard output and its wall time.</summary>
    /// <exception cref="InvalidOperationException">The child failed.</exception>
    public static (string LastLine, TimeSpan Elapsed) Run(params string[] args)
    {
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("Unknown process path.");
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            start.ArgumentList.Add(typeof(ChildProcess).Assembly.Location);                    // started as `dotnet x.dll`
        }

        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        long began = Stopwatch.GetTimestamp();
        using var child = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {host}.");
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        var elapsed = Stopwatch.GetElapsedTime(began);
        if (child.ExitCode != 0)
        {
            throw new InvalidOperationException($"Child '{string.Join(' ', args)}' exited with {child.ExitCode}: {output}");
        }

        return (output.TrimEnd().Split('\n')[^1], elapsed);
    }
}
