using System.Diagnostics;
using Xunit.Abstractions;
using SentenceMtl.Inference.Vectors;

namespace SentenceMtl.Tests.Robustness;

/// <summary>
/// Eight threads encode and predict while another disposes the model, changes its freezing or trains it: no crash, and
/// only <see cref="ObjectDisposedException"/> after a dispose. Each run is a child process (SentenceMtl.SaveChild's
/// stress modes), so a native crash fails the test instead of ending the test run.
/// </summary>
[Collection(GlobalRngCollection.Name)]
public sealed class ConcurrentUseTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    private static string ChildPath => TestPaths.ChildProgram("SentenceMtl.SaveChild");

    [SkippableFact]
    public void The_tiny_model_encodes_through_the_inference_engine()
    {
        Skip.If(VectorWidths.Widest is null, "no accelerated vector width: the engine is not used here");
        using var encoder = SentenceEncoder.FromPretrained(folder.Model);
        Assert.NotNull(encoder.Engine);                                                   // so the stress runs race on the engine
        Assert.Single(encoder.Encode(["the team won"]));
    }

    [Theory]
    [InlineData("stress-dispose")]
    [InlineData("stress-freeze")]
    [InlineData("stress-train")]
    public async Task Concurrent_calls_never_crash(string mode)
    {
        Assert.True(File.Exists(ChildPath), ChildPath);
        using var child = Process.Start(new ProcessStartInfo("dotnet", [ChildPath, mode, folder.Model, "6"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var errors = child.StandardError.ReadToEndAsync();
        var outputTask = child.StandardOutput.ReadToEndAsync();
        bool exited = child.WaitForExit(TimeSpan.FromMinutes(3));
        if (!exited)
        {
            child.Kill(entireProcessTree: true);                                                // a deadlock: fail, leave no process behind
            child.WaitForExit();
        }

        string stdout = await outputTask;
        string stderr = await errors;
        output.WriteLine($"{mode}: {stdout}");
        Assert.True(exited, $"{mode} did not finish within 3 minutes (deadlock?). {stdout}");
        Assert.True(child.ExitCode == 0, $"{mode}: exit code {child.ExitCode}. {stdout}\n{stderr}");
        Assert.Matches(@"^ok [1-9]\d* rounds, [1-9]\d* calls", stdout);
    }
}
