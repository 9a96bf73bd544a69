using System.Diagnostics;
using System.Text;

namespace SentenceMtl.Tests.Packaging;

/// <summary>Runs the <c>dotnet</c> CLI as a child process, as a developer would from a shell.</summary>
internal static class DotnetCli
{
    /// <summary>The host that runs these tests (<c>$DOTNET_HOST_PATH</c>, set by <c>dotnet test</c>), else <c>dotnet</c>.</summary>
    public static string Host =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>Runs <c>dotnet args…</c> in <paramref name="workingDirectory"/> and returns its output; throws with the
    /// output when it fails or outlasts <paramref name="timeout"/>.</summary>
    public static string Run(string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment,
        params string[] args) => RunProgram(Host, workingDirectory, timeout, environment, args);

    /// <summary>Runs <paramref name="program"/> with <paramref name="args"/> the same way: output returned, failure or
    /// timeout thrown with the output.</summary>
    public static string RunProgram(string program, string workingDirectory, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // `dotnet test` hands its MSBuild settings to child processes; a fresh `dotnet pack` must find its own.
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        string command = $"{(program == Host ? "dotnet" : program)} {string.Join(' ', args)}";
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{command}` did not finish within {timeout}:\n{Text(output)}");
        }

        process.WaitForExit(); // drains the redirected streams
        return process.ExitCode == 0
            ? Text(output)
            : throw new InvalidOperationException($"`{command}` exited with {process.ExitCode}:\n{Text(output)}");
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
