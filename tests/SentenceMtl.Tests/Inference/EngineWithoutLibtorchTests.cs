using System.Diagnostics;
using System.Globalization;
using SentenceMtl.Tests.Encoding;

namespace SentenceMtl.Tests.Inference;

/// <summary>
/// Embedding and prediction need no native library: tests/SentenceMtl.EncodeChild, which references the core package
/// alone (as an app that only embeds or predicts does), loads and embeds with <see cref="SentenceEncoder.FromPretrained"/>,
/// or loads a saved <see cref="MultiTaskModel"/> and predicts, in a process of its own, then lists the native libraries
/// mapped into it from outside the .NET runtime and the system (/proc/self/maps). Its vectors equal, bit for bit, those
/// of the in-process encoder; its predictions are those the saved model's libtorch path gave.
/// </summary>
[Collection(EmbeddedEncodersCollection.Name)]
public sealed class EngineWithoutLibtorchTests(EmbeddedEncoders encoders)
{
    private static string ChildPath => TestPaths.ChildProgram("SentenceMtl.EncodeChild");

    private static string[] Texts => [.. File.ReadLines(TestPaths.Sentences).Take(50)];

    [SkippableFact]
    public void FromPretrained_loads_and_embeds_in_a_process_that_maps_no_native_library()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the child reads /proc/self/maps, which only Linux has");

        var child = RunChild(["--encoder", "all-MiniLM-L6-v2"], Texts);

        Assert.Equal("none", child.Value("native-libraries: "));
        Assert.Equal("none", child.Value("native-libtorch: "));
        Assert.Equal("not loaded", child.Value("torchsharp-assembly: "));
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(ChildPath)!, "TorchSharp.dll")), "the core app's output holds TorchSharp");
        var inProcess = encoders.MiniLm.Encode(Texts);
        var vectors = child.Lines("vector: ").Select(Floats).ToList();
        Assert.Equal(Texts.Length, vectors.Count);
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(inProcess[i], vectors[i]);                                            // same kernels, same batches: same bits
        }
    }

    [SkippableFact]
    public void A_model_saved_by_version_0_1_0_predicts_as_its_libtorch_path_did_in_a_process_without_native_libraries()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the child reads /proc/self/maps, which only Linux has");
        var expected = SavedModelFixture.Expected();

        using var folder = new TempFolder();
        var child = RunChild(["--predict", SavedModelFixture.Create(folder.Path)], [.. expected.Select(e => e.Text).Distinct()]);

        Assert.Equal("none", child.Value("native-libraries: "));
        var predictions = child.Lines("prediction: ").Select(l => l.Split(' ')).ToList();
        Assert.Equal(expected.Count, predictions.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Task, predictions[i][0]);
            Assert.Equal(expected[i].Label, predictions[i][1]);
            var probabilities = predictions[i][2..].Select(x => float.Parse(x, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(expected[i].Probabilities, probabilities, (a, b) => Math.Abs(a - b) <= 1e-6f);
        }
    }

    private static float[] Floats(string line) => [.. line.Split(' ').Select(x => float.Parse(x, CultureInfo.InvariantCulture))];

    /// <summary>Runs the child with <paramref name="arguments"/> and <paramref name="texts"/> on its stdin, one per line.</summary>
    private static ChildOutput RunChild(string[] arguments, IReadOnlyList<string> texts)
    {
        Assert.True(File.Exists(ChildPath), ChildPath);
        Assert.All(texts, t => Assert.DoesNotContain('\n', t));
        var start = new ProcessStartInfo("dotnet", [ChildPath, .. arguments])
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
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{output.Result}\n{error.Result}");
        return new ChildOutput(output.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private sealed record ChildOutput(string[] All)
    {
        public IEnumerable<string> Lines(string prefix) =>
            All.Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).Select(l => l[prefix.Length..]);

        public string Value(string prefix) => Lines(prefix).Single();
    }
}
