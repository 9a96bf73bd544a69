namespace SentenceMtl.Tests.MultiTask;

/// <summary>A small labelled set in the tiny model's vocabulary: topic and sentiment are readable from the words.</summary>
internal static class TinyData
{
    public static readonly (string Text, string Topic, string Sentiment)[] Rows =
    [
        ("the team won the game !", "Sports", "Positive"),
        ("the players lost the match .", "Sports", "Negative"),
        ("the match was okay", "Sports", "Neutral"),
        ("new phone app update", "Technology", "Neutral"),
        ("great software update , fans loved the app", "Technology", "Positive"),
        ("terrible bug in the software", "Technology", "Negative"),
        ("the minister won the vote", "Politics", "Positive"),
        ("bad law , the election was lost", "Politics", "Negative"),
        ("new election law", "Politics", "Neutral"),
        ("the film was released", "Entertainment", "Neutral"),
        ("fans loved the new movie !", "Entertainment", "Positive"),
        ("terrible song , fans hated the show", "Entertainment", "Negative"),
        ("the doctor and the hospital", "Health", "Neutral"),
        ("good health news from the doctor", "Health", "Positive"),
        ("bad virus in the hospital", "Health", "Negative"),
    ];

    public static MultiTaskDataset Dataset(IReadOnlyList<TaskDefinition>? tasks = null) =>
        MultiTaskDataset.Create(tasks ?? [TaskDefinition.Topic, TaskDefinition.Sentiment],
            Rows.Select(r => new MultiTaskExample(r.Text, new Dictionary<string, string> { ["topic"] = r.Topic, ["sentiment"] = r.Sentiment })));
}
