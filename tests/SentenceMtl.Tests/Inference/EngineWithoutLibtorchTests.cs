using System.Diagnostics;
using System.Globalization;
using SentenceMtl.Inference.Vectors;
using SentenceMtl.Tests.Encoding;

namespace SentenceMtl.Tests.Inference;

/// <summary>
/// Inference needs no native library: tests/SentenceMtl.EncodeChild loads and embeds with
/// <see cref="SentenceEncoder.FromPretrained"/> in a process of its own, which then lists the libtorch files mapped into it
/// (/proc/self/maps). Its vectors equal, bit for bit, those of the in-process encoder (the same engine at the same width)
/// and are within 1e-5 of libtorch's. The same child on libtorch (<c>UseInferenceEngine = false</c>) does map libtorch,
/// so the check sees what it looks for.
/// </summary>
[Collection(EmbeddedEncodersCollection.Name)]
public sealed class EngineWithoutLibtorchTests(EmbeddedEncoders encoders)
{
    private const string Model = "all-MiniLM-L6-v2";

    private static string ChildPath => TestPaths.ChildProgram("SentenceMtl.EncodeChild");

    private static string[] Texts => [.. File.ReadLines(TestPaths.Sentences).Take(50)];

    [SkippableFact]
    public void FromPretrained_loads_and_embeds_in_a_process_that_never_maps_libtorch()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the child reads /proc/self/maps, which only Linux has");
        Skip.If(VectorWidths.Widest is null, "no accelerated vector width: the engine does not run here");

        var child = RunChild("--encoder", Texts);

        Assert.Equal("none", child.NativeLibtorch);                                             // TorchSharp.dll may load (types), its natives do not
        var inProcess = encoders.MiniLm.Encode(Texts);                                         // the encoder's engine, default width
        Assert.NotNull(encoders.MiniLm.ActiveEngine);
        using var libtorch = SentenceEncoder.FromPretrained(Model, new SentenceEncoderOptions { UseInferenceEngine = false });
        var reference = libtorch.Encode(Texts);
        Assert.Equal(Texts.Length, child.Vectors.Count);
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(384, child.Vectors[i].Length);
            Assert.Equal(inProcess[i], child.Vectors[i]);                                      // same kernels, same batches: same bits
            double worst = child.Vectors[i].Zip(reference[i]).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(worst <= 1e-5, $"text {i} differs from libtorch's by {worst}");
        }
    }

    [SkippableFact]
    public void The_map_check_sees_libtorch_when_the_child_uses_TorchSharp()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the child reads /proc/self/maps, which only Linux has");

        var child = RunChild("--torchsharp", Texts.Take(3).ToArray());

        Assert.Contains("libtorch", child.NativeLibtorch, StringComparison.Ordinal);
        Assert.Equal("loaded", child.TorchSharpAssembly);
        Assert.Equal(3, child.Vectors.Count);
    }

    private sealed record ChildOutput(List<float[]> Vectors, string NativeLibtorch, string TorchSharpAssembly);

    /// <summary>Runs the child in <paramref name="mode"/> with <paramref name="texts"/> on its stdin, one per line.</summary>
    private static ChildOutput RunChild(string mode, IReadOnlyList<string> texts)
    {
        Assert.True(File.Exists(ChildPath), ChildPath);
        Assert.All(texts, t => Assert.DoesNotContain('\n', t));
        var start = new ProcessStartInfo("dotnet", [ChildPath, mode, Model])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        foreach (string text in texts)
        {
            process.StandardInput.WriteLine(text);
        }

        process.StandardInput.Close();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(3)), "the child did not finish");
        string[] lines = output.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{output.Result}\n{error.Result}");
        var vectors = lines.Where(l => l.StartsWith("vector: ", StringComparison.Ordinal))
            .Select(l => l["vector: ".Length..].Split(' ').Select(x => float.Parse(x, CultureInfo.InvariantCulture)).ToArray())
            .ToList();
        return new ChildOutput(vectors, Value(lines, "native-libtorch: "), Value(lines, "torchsharp-assembly: "));
    }

    private static string Value(string[] lines, string prefix) =>
        lines.Single(l => l.StartsWith(prefix, StringComparison.Ordinal))[prefix.Length..];
}
