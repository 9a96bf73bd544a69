namespace SentenceMtl.Server.Tests;

/// <summary>A saved <see cref="MultiTaskModel"/> on the tiny encoder, with random heads: topic (sports, tech, politics)
/// and sentiment (negative, positive).</summary>
internal static class TinyClassifier
{
    /// <summary>The tasks and their labels, in order.</summary>
    public static readonly TaskDefinition[] Tasks =
        [new("topic", ["sports", "tech", "politics"]), new("sentiment", ["negative", "positive"])];

    /// <summary>Saves the classifier on the encoder folder <paramref name="encoder"/> to <paramref name="folder"/>.</summary>
    public static string Save(string encoder, string folder)
    {
        var options = new MultiTaskModelOptions { Tasks = Tasks, HeadHiddenSizes = [] };
        using var model = MultiTaskModel.Create(encoder, options).WithRandomHeads();
        model.Save(folder);
        return folder;
    }
}
