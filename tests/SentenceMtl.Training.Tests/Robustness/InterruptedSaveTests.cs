using System.Diagnostics;

namespace SentenceMtl.Tests.Robustness;

/// <summary>A process killed while saving leaves the previous save loadable.</summary>
[Collection(GlobalRngCollection.Name)]
public sealed class InterruptedSaveTests : IDisposable
{
    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    private static string ChildPath => TestPaths.ChildProgram("SentenceMtl.SaveChild");

    [Fact]
    public void Killing_a_saving_process_at_random_moments_never_leaves_an_unloadable_model()
    {
        Assert.True(File.Exists(ChildPath), ChildPath);
        string saveDir = Path.Combine(folder.Path, "saved");
        using var reference = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment());
        new MultiTaskTrainer(reference, new TrainerOptions { Epochs = 1 }).Train(ChildData());                   // as the child trains
        var expected = reference.Predict("the team won")["topic"].Probabilities;
        var random = new Random(5);
        for (int round = 0; round < 4; round++)
        {
            using var child = Process.Start(new ProcessStartInfo("dotnet", [ChildPath, folder.Model, saveDir])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            var errors = new System.Text.StringBuilder();
            try
            {
                child.ErrorDataReceived += (_, e) => errors.AppendLine(e.Data);   // drained, so the child never blocks on it
                child.BeginErrorReadLine();
                string? line = child.StandardOutput.ReadLine();                    // the first save is complete
                Assert.True(line == "saved 1", $"child said '{line}': {errors}");
                Thread.Sleep(random.Next(0, 400));                                 // somewhere inside a later save
            }
            finally
            {
                child.Kill(entireProcessTree: true);                               // also when the test fails: no stray saver
                child.WaitForExit();
            }

            Assert.True(errors.ToString().Trim().Length == 0, errors.ToString());
            using var loaded = MultiTaskModel.Load(saveDir);
            Assert.Equal(expected, loaded.Predict("the team won")["topic"].Probabilities);
        }
    }

    /// <summary>The five sentences SentenceMtl.SaveChild trains its heads on before saving (Stress.Dataset).</summary>
    private static MultiTaskDataset ChildData() => MultiTaskDataset.Create([TaskDefinition.Topic, TaskDefinition.Sentiment],
    [
        new("the team won the game !", new Dictionary<string, string> { ["topic"] = "Sports", ["sentiment"] = "Positive" }),
        new("terrible bug in the software", new Dictionary<string, string> { ["topic"] = "Technology", ["sentiment"] = "Negative" }),
        new("new election law", new Dictionary<string, string> { ["topic"] = "Politics", ["sentiment"] = "Neutral" }),
        new("fans loved the new movie !", new Dictionary<string, string> { ["topic"] = "Entertainment", ["sentiment"] = "Positive" }),
        new("bad virus in the hospital", new Dictionary<string, string> { ["topic"] = "Health", ["sentiment"] = "Negative" }),
    ]);
}
