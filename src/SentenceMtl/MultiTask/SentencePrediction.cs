namespace SentenceMtl;

/// <summary>All tasks' predictions for one sentence.</summary>
/// <param name="Text">The sentence.</param>
/// <param name="Tasks">One prediction per task, in the model's task order.</param>
public sealed record SentencePrediction(string Text, IReadOnlyList<TaskPrediction> Tasks)
{
    /// <summary>The prediction of the task named <paramref name="task"/>.</summary>
    public TaskPrediction this[string task] =>
        Tasks.FirstOrDefault(t => t.Task == task) ?? throw new KeyNotFoundException($"No task named '{task}'.");
}
