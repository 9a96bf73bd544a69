using System.Diagnostics;
using SentenceMtl.Inference.Vectors;

namespace SentenceMtl.Tests.Training;

/// <summary>
/// A seed trains the same weights whatever vector instructions .NET may use: tests/SentenceMtl.TrainChild trains the
/// heads of all-MiniLM-L6-v2 on news_train.jsonl in child processes with AVX-512 allowed, forbidden
/// (<c>DOTNET_EnableAVX512=0</c>) and with AVX2 forbidden too, and the head weights are equal bit for bit.
/// </summary>
public sealed class InstructionSetIndependenceTests
{
    private static string ChildPath => TestPaths.ChildProgram("SentenceMtl.TrainChild");

    [SkippableFact]
    public void Heads_train_to_identical_weights_with_vector_instructions_allowed_and_forbidden()
    {
        Skip.If(VectorWidths.Widest is not VectorWidth.Bits512 and not VectorWidth.Bits256,
            "this machine has no 256- or 512-bit vectors to forbid");

        var allowed = Train([]);
        var no512 = Train([("DOTNET_EnableAVX512", "0")]);
        var no256 = Train([("DOTNET_EnableAVX512", "0"), ("DOTNET_EnableAVX2", "0")]);

        Assert.NotEqual(allowed.Width, no256.Width);                                           // the switches took effect
        Assert.True(no512.Width <= 256 && no256.Width <= 128, $"widths {allowed.Width} / {no512.Width} / {no256.Width}");
        Assert.NotEmpty(allowed.Weights);
        Assert.Equal(allowed.Weights, no512.Weights);
        Assert.Equal(allowed.Weights, no256.Weights);
    }

    private sealed record ChildRun(int Width, List<string> Weights);

    private static ChildRun Train(IReadOnlyList<(string Name, string Value)> environment)
    {
        Assert.True(File.Exists(ChildPath), ChildPath);
        var start = new ProcessStartInfo("dotnet", [ChildPath, "--train-heads", "all-MiniLM-L6-v2", TestPaths.NewsTrain])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(3)), "the child did not finish");
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{output}\n{error.Result}");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        int width = int.Parse(lines.Single(l => l.StartsWith("width: ", StringComparison.Ordinal))["width: ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        return new ChildRun(width, [.. lines.Where(l => l.StartsWith("weight: ", StringComparison.Ordinal))]);
    }
}
