namespace SentenceMtl.Server.Hosting;

/// <summary>
/// What the server says about its classifier (<c>/v1/models</c>, <c>/info</c>, the start-up log): its name (the saved
/// folder's name), its tasks and their labels, and whether its encoder is the one serving the embeddings.
/// </summary>
/// <param name="Name">The saved folder's last segment.</param>
/// <param name="Tasks">Each task's labels, by task name, in the model's order.</param>
/// <param name="ServesEmbeddings">Whether the embedding endpoints run on this classifier's own encoder (one backbone).</param>
internal sealed record ServedClassifier(string Name, IReadOnlyDictionary<string, IReadOnlyList<string>> Tasks, bool ServesEmbeddings)
{
    /// <summary>The description of <paramref name="classifier"/>, loaded from <paramref name="folder"/>.</summary>
    public static ServedClassifier For(MultiTaskModel classifier, string folder, SentenceEncoder encoder)
    {
        var tasks = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var task in classifier.Tasks)
        {
            tasks[task.Name] = task.Labels;
        }

        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
        return new ServedClassifier(name, tasks, ReferenceEquals(classifier.Encoder, encoder));
    }

    /// <summary>The tasks as the log shows them: <c>topic (sports, tech), sentiment (negative, positive)</c>.</summary>
    public string DescribeTasks() => string.Join(", ", Tasks.Select(task => $"{task.Key} ({string.Join(", ", task.Value)})"));
}
