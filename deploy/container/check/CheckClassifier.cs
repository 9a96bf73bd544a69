namespace SentenceMtl.ContainerCheck;

/// <summary>The classifier the container serves in the check: all-MiniLM-L6-v2 with two linear heads trained for a few
/// epochs on six sentences (SentenceMtl.Training). Its answers matter little; the server must give exactly what
/// <see cref="MultiTaskModel.Predict(IReadOnlyList{string}, CancellationToken)"/> gives for the same saved folder, which
/// is what the check compares.</summary>
internal static class CheckClassifier
{
    /// <summary>Creates and trains the classifier and saves it to <paramref name="folder"/> (which must not exist yet).</summary>
    public static void Save(string folder)
    {
        var topic = new TaskDefinition("topic", ["sports", "tech", "politics"]);
        var sentiment = new TaskDefinition("sentiment", ["negative", "positive"]);
        var options = new MultiTaskModelOptions { Tasks = [topic, sentiment], HeadHiddenSizes = [] };
        static MultiTaskExample Example(string text, string topic, string sentiment) =>
            new(text, new Dictionary<string, string> { ["topic"] = topic, ["sentiment"] = sentiment });
        var data = MultiTaskDataset.Create([topic, sentiment],
        [
            Example("The team won the final.", "sports", "positive"),
            Example("The striker was injured again.", "sports", "negative"),
            Example("The new phone is fast.", "tech", "positive"),
            Example("The update broke the app.", "tech", "negative"),
            Example("The vote passed easily.", "politics", "positive"),
            Example("The minister resigned in disgrace.", "politics", "negative"),
        ]);
        using var model = MultiTaskModel.Create("all-MiniLM-L6-v2", options);
        new MultiTaskTrainer(model, new TrainerOptions { Epochs = 5, Seed = 1 }).Train(data);
        model.Save(folder);
    }
}
