using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace SentenceMtl.Tests.Packaging;

/// <summary>
/// samples/SentenceMtl.AotSample published with NativeAOT for linux-x64 (the core and one model package, no TorchSharp):
/// the publish gives no trim or AOT warning, the output is one native executable with no managed SentenceMtl.dll and no
/// native library but the runtime's, and the executable embeds, searches and predicts as the JIT-compiled core does in
/// this process. Takes about 2¼ minutes (measured 2 m 11 s and 2 m 20 s on 2 busy cores), cold or not: the native
/// compile runs on every publish.
/// </summary>
[Trait("Category", "Packaging")]
public sealed partial class AotPublishTests
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(15);

    private static readonly string[] Queries = ["the team won the match", "the new phone app has a bug"];

    [SkippableFact]
    public void Native_aot_publish_has_no_warnings_and_the_executable_embeds_searches_and_predicts()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64, "the test publishes for linux-x64, on Linux x64 only.");
        Skip.If(FindOnPath("clang") is null, "NativeAOT needs clang as its linker (Debian: apt-get install clang zlib1g-dev).");
        Skip.IfNot(File.Exists("/usr/lib/x86_64-linux-gnu/libz.a") || File.Exists("/usr/lib/x86_64-linux-gnu/libz.so"),
            "NativeAOT links zlib (Debian: apt-get install zlib1g-dev).");

        string project = Path.Combine(TestPaths.RepoRoot, "samples", "SentenceMtl.AotSample", "SentenceMtl.AotSample.csproj");
        string output = Directory.CreateTempSubdirectory("sentencemtl-aot").FullName;
        try
        {
            // Warnings stay warnings here (not errors), so a failure lists every one of them.
            string log = Run(Host, TestPaths.RepoRoot, "publish", project, "-r", "linux-x64", "-c", "Release", "-o", output,
                "-p:TreatWarningsAsErrors=false", "--disable-build-servers");
            var warnings = WarningLine().Matches(log).Select(m => m.Value.Trim()).Distinct().ToList();
            Assert.True(warnings.Count == 0, $"{warnings.Count} warnings from the AOT publish:\n{string.Join('\n', warnings)}");

            string executable = Path.Combine(output, "SentenceMtl.AotSample");
            Assert.True(File.Exists(executable), $"no native executable in {output}");
            Assert.False(File.Exists(Path.Combine(output, "SentenceMtl.dll")), "a managed SentenceMtl.dll was published beside the native executable");
            var natives = Directory.GetFiles(output, "*.so*", SearchOption.AllDirectories);
            Assert.True(natives.Length == 0, $"native libraries in the AOT output: {string.Join(", ", natives.Select(Path.GetFileName))}");

            string fixture = SavedModelFixture.Create(output);
            AssertMatchesTheJitCore(Run(executable, output, fixture), fixture);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    /// <summary>The sample's lines against the same calls in this process: similarity, the search's best hit, and every
    /// task's label and probability (printed to 4 decimals; the widths may differ, so 2e-4).</summary>
    private static void AssertMatchesTheJitCore(string printed, string fixture)
    {
        Assert.Contains("backend: inference engine", printed, StringComparison.Ordinal);
        Assert.Contains("embedding dimension: 384", printed, StringComparison.Ordinal);
        using (var encoder = SentenceEncoder.FromPretrained("all-MiniLM-L6-v2"))
        {
            var pair = encoder.Encode(["A man is playing a guitar.", "Someone plays an instrument."]);
            double expected = SentenceEncoder.CosineSimilarity(pair[0], pair[1]);
            double similarity = double.Parse(Regex.Match(printed, @"similarity: (\S+)").Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.True(Math.Abs(similarity - expected) <= 2e-4, $"similarity {similarity} printed, {expected} in process");
        }

        var hits = Regex.Matches(printed, @"search hit: (.+) \((\S+)\)");
        Assert.Equal(2, hits.Count);
        Assert.Equal("A guitarist performs on stage.", hits[0].Groups[1].Value);

        using var model = MultiTaskModel.Load(fixture);
        var predictions = model.Predict(Queries);
        int lines = 0;
        foreach (var prediction in predictions)
        {
            foreach (var task in prediction.Tasks)
            {
                var line = Regex.Match(printed, $@"predict: {Regex.Escape(prediction.Text)} \| {Regex.Escape(task.Task)} = (.+) \((\S+)\)");
                Assert.True(line.Success, $"no prediction of {task.Task} for '{prediction.Text}' in:\n{printed}");
                Assert.Equal(task.Label, line.Groups[1].Value);
                double probability = double.Parse(line.Groups[2].Value, CultureInfo.InvariantCulture);
                Assert.True(Math.Abs(probability - task.Probabilities[task.LabelIndex]) <= 2e-4,
                    $"{task.Task} of '{prediction.Text}': {probability} printed, {task.Probabilities[task.LabelIndex]} in process");
                lines++;
            }
        }

        Assert.Equal(Queries.Length * model.Tasks.Count, lines);
    }

    /// <summary>MSBuild's warning lines (<c>file(line,col): warning IL3050: …</c>, <c>warning NETSDK1179: …</c>).</summary>
    [GeneratedRegex(@"^.*\bwarning [A-Z]+[0-9]+:.*$", RegexOptions.Multiline)]
    private static partial Regex WarningLine();

    private static string Host =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);

    /// <summary>Runs a program and returns its output (stdout and stderr); throws with the output when it fails or
    /// outlasts <see cref="PublishTimeout"/>. MSBuild's settings inherited from `dotnet test` are removed, so the
    /// publish finds its own.</summary>
    private static string Run(string program, string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        args.ToList().ForEach(start.ArgumentList.Add);
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(PublishTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{Path.GetFileName(program)} {string.Join(' ', args)}` did not finish within {PublishTimeout}:\n{output}");
        }

        process.WaitForExit();
        lock (output)
        {
            return process.ExitCode == 0 ? output.ToString()
                : throw new InvalidOperationException($"`{Path.GetFileName(program)} {string.Join(' ', args)}` exited with {process.ExitCode}:\n{output}");
        }
    }
}
