using SentenceMtl.Tests.Data;

namespace SentenceMtl.Tests.Training;

/// <summary>
/// Training two custom tasks from a CSV takes one <c>Load</c> and one <c>Create</c>, with no TaskDefinition written
/// by hand; the result prints its contents and names the tasks it holds.
/// </summary>
[Collection(GlobalRngCollection.Name)]
public sealed class TasksFromDataTests : IDisposable
{
    private readonly TempFolder folder = TinyModel.Create();
    private readonly TempDataFiles files = new();

    public void Dispose()
    {
        folder.Dispose();
        files.Dispose();
    }

    // Two tasks readable from the tiny vocabulary's words: the subject, and whether it went well.
    private string WriteCsv() => files.Write("tickets.csv", """
        text,subject,outcome
        the team won the game !,sport,good
        the players lost the match .,sport,bad
        fans loved the match,sport,good
        great software update,tech,good
        terrible bug in the software,tech,bad
        the app update was bad,tech,bad
        good health news from the doctor,health,good
        bad virus in the hospital,health,bad
        the doctor and the hospital,health,
        """);

    [Fact]
    public void Two_custom_tasks_train_from_a_csv_with_one_load_and_one_create()
    {
        var data = MultiTaskDataset.Load(WriteCsv());
        using var model = MultiTaskModel.Create(folder.Model, data);
        var result = new MultiTaskTrainer(model, new TrainerOptions { Epochs = 30, BatchSize = 4, HeadLearningRate = 1e-2 }).Train(data);
        var predictions = model.Predict(data.Texts);

        Assert.Equal(["subject", "outcome"], model.Tasks.Select(t => t.Name));
        Assert.Equal(["health", "sport", "tech"], model.Tasks[0].Labels);
        Assert.Equal(["bad", "good"], model.Tasks[1].Labels);
        Assert.Equal(8, data.LabeledCount("outcome"));                                          // the empty cell is unlabelled
        Assert.True(result.Epochs[^1].Loss < result.Epochs[0].Loss / 2, $"loss {result.Epochs[0].Loss} -> {result.Epochs[^1].Loss}");
        var subjects = data.LabelIndices("subject");
        int right = Enumerable.Range(0, data.Count).Count(i => predictions[i]["subject"].LabelIndex == subjects[i]);
        Assert.True(right >= 8, $"{right} of 9 training subjects predicted");
        Assert.All(predictions, p => Assert.Contains(p["outcome"].Label, model.Tasks[1].Labels));
        Assert.Equal(9, model.Evaluate(data)["subject"].Rows.Sum(r => r.Support));
    }

    [Fact]
    public void The_training_result_prints_its_epochs_and_weights_and_lists_its_tasks_on_a_wrong_name()
    {
        var data = MultiTaskDataset.Load(WriteCsv());
        using var model = MultiTaskModel.Create(folder.Model, data);
        var result = new MultiTaskTrainer(model, new TrainerOptions { Epochs = 2 }).Train(data, data);

        string text = result.ToString();

        Assert.StartsWith("TrainingResult { Epochs = 2 [EpochSummary { Epoch = 1, Loss = ", text, StringComparison.Ordinal);
        Assert.Contains("TaskLosses = { subject: ", text, StringComparison.Ordinal);
        Assert.Contains("ValidationMacroF1 = { subject: ", text, StringComparison.Ordinal);
        Assert.Contains("TaskWeights = { subject: 1, outcome: 1 }", text, StringComparison.Ordinal);
        Assert.Contains("BestEpoch = ", text, StringComparison.Ordinal);
        Assert.EndsWith("Contrastive = null }", text, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", text, StringComparison.Ordinal);
        var lookup = Assert.Throws<KeyNotFoundException>(() => result.TaskWeights["Subject"]);
        Assert.Equal("No task named 'Subject' (tasks: subject, outcome).", lookup.Message);
        Assert.Throws<KeyNotFoundException>(() => result.Epochs[0].TaskLosses["topic"]);
        var weights = Assert.Throws<ArgumentException>(() => new MultiTaskTrainer(model,
            new TrainerOptions { TaskWeights = new Dictionary<string, double> { ["Subject"] = 2 } }));
        Assert.Contains("unknown task 'Subject' (tasks: subject, outcome)", weights.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Contrastive_and_progress_records_print_their_lists()
    {
        var summary = new ContrastiveSummary(12, 3, [0.5, 0.25], 40.0, TimeSpan.FromSeconds(0.3));
        var progress = new TrainingProgress(1, 2, 10, 0.75, new Dictionary<string, double> { ["subject"] = 0.5 });

        Assert.Equal("ContrastiveSummary { Pairs = 12, Steps = 3, EpochLosses = [0.5, 0.25], PairsPerSecond = 40, Duration = 00:00:00.3000000 }",
            summary.ToString());
        Assert.Equal("TrainingProgress { Stage = Supervised, Epoch = 1, Step = 2/10, Loss = 0.75, TaskLosses = { subject: 0.5 }, " +
            "ValidationMacroF1 = null, IsEpochEnd = False }", progress.ToString());
    }
}
