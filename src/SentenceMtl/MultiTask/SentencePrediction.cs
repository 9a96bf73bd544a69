using System.Text;
using SentenceMtl.MultiTask;

namespace SentenceMtl;

/// <summary>All tasks' predictions for one sentence.</summary>
/// <param name="Text">The sentence.</param>
/// <param name="Tasks">One prediction per task, in the model's task order.</param>
public sealed record SentencePrediction(string Text, IReadOnlyList<TaskPrediction> Tasks)
{
    /// <summary>The prediction of the task named <paramref name="task"/>.</summary>
    /// <exception cref="KeyNotFoundException">There is no such task (the message lists the tasks there are).</exception>
    public TaskPrediction this[string task] =>
        Tasks.FirstOrDefault(t => t.Task == task) ?? throw TaskKeyedDictionary<TaskPrediction>.Missing(task, Tasks.Select(t => t.Task));

    // Text = "…", Tasks = [topic: Sports (0.91), sentiment: Positive (0.8)] rather than the list's type name.
    private bool PrintMembers(StringBuilder builder) => ResultText.Members(builder,
        ("Text", $"\"{Text}\""),
        ("Tasks", ResultText.List(Tasks, t => $"{t.Task}: {t.Label} ({ResultText.Number(t.Confidence)})")));
}
