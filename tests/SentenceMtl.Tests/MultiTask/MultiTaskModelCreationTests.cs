namespace SentenceMtl.Tests.MultiTask;

/// <summary>
/// Where a model's tasks come from: a dataset, or options that name them, never a default; and lookups of a task or a
/// label that does not exist list the ones that do.
/// </summary>
public sealed class MultiTaskModelCreationTests : IDisposable
{
    private readonly TempFolder folder = TinyModel.Create();
    private readonly Data.TempDataFiles files = new();

    public void Dispose()
    {
        folder.Dispose();
        files.Dispose();
    }

    private MultiTaskDataset Tickets() => MultiTaskDataset.Load(files.Write("tickets.csv",
        "text,intent,urgency\nthe app bug,complaint,high\nfans loved the app,praise,low\nnew phone app update,question,low\n"));

    [Fact]
    public void A_model_without_tasks_is_refused_with_the_two_ways_to_give_them()
    {
        var none = Assert.Throws<ArgumentException>(() => MultiTaskModel.Create(folder.Model));
        var empty = Assert.Throws<ArgumentException>(() => MultiTaskModel.Create(folder.Model, new MultiTaskModelOptions { Seed = 1 }));

        Assert.Contains("The model has no tasks", none.Message, StringComparison.Ordinal);
        Assert.Contains("MultiTaskModel.Create(model, MultiTaskDataset.Load(path))", none.Message, StringComparison.Ordinal);
        Assert.Contains("MultiTaskModelOptions.Tasks", none.Message, StringComparison.Ordinal);
        Assert.Equal(none.Message, empty.Message);
        Assert.Empty(new MultiTaskModelOptions().Tasks);                                       // no demo heads by default
    }

    [Fact]
    public void A_model_created_from_a_dataset_has_its_tasks_and_labels_and_the_options_heads()
    {
        var data = Tickets();

        using var model = MultiTaskModel.Create(folder.Model, data, new MultiTaskModelOptions { HeadHiddenSizes = [8], Seed = 9 });
        using var onEncoder = MultiTaskModel.Create(SentenceEncoder.FromPretrained(folder.Model), data);

        Assert.Equal(data.Tasks, model.Tasks);
        Assert.Equal(["complaint", "praise", "question"], model.Tasks[0].Labels);
        Assert.Equal(["high", "low"], model.Tasks[1].Labels);
        Assert.Equal([8], model.Options.HeadHiddenSizes);
        Assert.Equal(9, model.Options.Seed);
        Assert.Equal(data.Tasks, onEncoder.Tasks);
        Assert.False(model.IsTrained);
    }

    [Fact]
    public void Options_naming_other_tasks_than_the_dataset_are_refused()
    {
        var options = new MultiTaskModelOptions { Tasks = [TaskDefinition.Topic] };

        var error = Assert.Throws<ArgumentException>(() => MultiTaskModel.Create(folder.Model, Tickets(), options));

        Assert.Contains("differ from the dataset's (intent: complaint/praise/question, urgency: high/low)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_task_and_label_lookups_list_what_exists()
    {
        using var model = MultiTaskModel.Create(folder.Model, Tickets()).WithRandomHeads();
        var prediction = model.Predict("the app bug");

        var task = Assert.Throws<KeyNotFoundException>(() => prediction["Intent"]);
        var label = Assert.Throws<KeyNotFoundException>(() => prediction["intent"].ProbabilityOf("Praise"));
        var report = Assert.Throws<KeyNotFoundException>(() => model.Evaluate(Tickets())["Intent"]);
        var freeze = Assert.Throws<ArgumentException>(() => model.FreezeHead("Intent"));
        var evaluate = Assert.Throws<ArgumentException>(() => model.Evaluate(MultiTaskDataset.Load(files.Write("other.csv", "text,intent\na,x\nb,y\n"))));

        Assert.Equal("No task named 'Intent' (tasks: intent, urgency).", task.Message);
        Assert.Contains("has no label 'Praise'; its labels are: complaint, praise, question", label.Message, StringComparison.Ordinal);
        Assert.StartsWith("No task named 'Intent' (tasks: intent, urgency).", report.Message, StringComparison.Ordinal);
        Assert.Contains("(tasks: intent, urgency)", freeze.Message, StringComparison.Ordinal);
        Assert.Contains("The dataset's tasks (intent: x/y) differ from the model's (intent: complaint/praise/question, urgency: high/low)",
            evaluate.Message, StringComparison.Ordinal);
        Assert.Contains("MultiTaskDataset.Load(path, model.Tasks)", evaluate.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Predictions_and_reports_print_their_contents_not_type_names()
    {
        using var model = MultiTaskModel.Create(folder.Model, Tickets()).WithRandomHeads();
        var prediction = model.Predict("the app bug");
        var intent = prediction["intent"];
        var report = model.Evaluate(Tickets());

        string text = prediction.ToString();
        string task = intent.ToString();

        Assert.StartsWith("SentencePrediction { Text = \"the app bug\", Tasks = [intent: ", text, StringComparison.Ordinal);
        Assert.Contains($"intent: {intent.Label} ({intent.Confidence.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)})", text, StringComparison.Ordinal);
        Assert.Contains("urgency: ", text, StringComparison.Ordinal);
        Assert.Contains("Probabilities = { complaint: ", task, StringComparison.Ordinal);
        Assert.Contains(", praise: ", task, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", text + task, StringComparison.Ordinal);
        Assert.Equal(report["intent"].ToText(), report["intent"].ToString());
        Assert.Equal(report["intent"].ConfusionMatrix.ToText(), report["intent"].ConfusionMatrix.ToString());
        Assert.StartsWith("{ intent: ", report.ToString(), StringComparison.Ordinal);
        Assert.Equal("TaskDefinition { Name = intent, Labels = [complaint, praise, question] }", model.Tasks[0].ToString());
        Assert.Equal("MultiTaskModelOptions { Tasks = [intent (3 labels), urgency (2 labels)], HeadHiddenSizes = [256], " +
            "TaskHeadHiddenSizes = null, Activation = Gelu, Dropout = 0.1, Seed = 42 }", model.Options.ToString());
    }
}
