namespace SentenceMtl.ContainerCheck;

/// <summary>The classifier the container serves in the check: all-MiniLM-L6-v2 with two freshly initialized linear
/// heads. Its answers are meaningless, but the server must give exactly what <see cref="MultiTaskModel.Predict(IReadOnlyList{string}, CancellationToken)"/>
/// gives for the same saved folder, which is what the check compares.</summary>
internal static class CheckClassifier
{
    /// <summary>Creates the classifier and saves it to <paramref name="folder"/> (which must not exist yet).</summary>
    public static void Save(string folder)
    {
        var options = new MultiTaskModelOptions
        {
            Tasks = [new TaskDefinition("topic", ["sports", "tech", "politics"]), new TaskDefinition("sentiment", ["negative", "positive"])],
            HeadHiddenSizes = [],
        };
        using var model = MultiTaskModel.Create("all-MiniLM-L6-v2", options);
        model.Save(folder);
    }
}
