using System.Text;

namespace SentenceMtl;

/// <summary>A classification task: its name (the dataset column / JSON key) and its label names, in index order.</summary>
public sealed record TaskDefinition
{
    /// <summary>Creates and validates a task.</summary>
    /// <param name="name">Task name, e.g. <c>"topic"</c>; used as the dataset field and the save-file key.</param>
    /// <param name="labels">At least two distinct, non-empty label names; a label's index is its class id.</param>
    public TaskDefinition(string name, IReadOnlyList<string> labels)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count < 2)
        {
            throw new ArgumentException($"Task '{name}' needs at least two labels (got {labels.Count}).", nameof(labels));
        }

        if (labels.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException($"Task '{name}' has an empty label name.", nameof(labels));
        }

        if (labels.Distinct(StringComparer.Ordinal).Count() != labels.Count)
        {
            throw new ArgumentException($"Task '{name}' has duplicate labels: {ErrorText.List(labels)}.", nameof(labels));
        }

        Name = name;
        Labels = [.. labels];
    }

    /// <summary>The task's name.</summary>
    public string Name { get; }

    /// <summary>Label names; the position of a label is its class index.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>The default topic task: Technology, Sports, Politics, Entertainment, Health.</summary>
    public static TaskDefinition Topic { get; } = new("topic", ["Technology", "Sports", "Politics", "Entertainment", "Health"]);

    /// <summary>The default sentiment task: Negative, Neutral, Positive.</summary>
    public static TaskDefinition Sentiment { get; } = new("sentiment", ["Negative", "Neutral", "Positive"]);

    /// <summary>The index of <paramref name="label"/>, or -1 when the task has no such label (ordinal comparison).</summary>
    public int IndexOf(string label)
    {
        for (int i = 0; i < Labels.Count; i++)
        {
            if (string.Equals(Labels[i], label, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <inheritdoc/>
    public bool Equals(TaskDefinition? other) =>
        other is not null && Name == other.Name && Labels.SequenceEqual(other.Labels);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, Labels.Count);

    // Name = topic, Labels = [Technology, Sports, …] rather than the list's type name.
    private bool PrintMembers(StringBuilder builder) =>
        ResultText.Members(builder, ("Name", Name), ("Labels", ResultText.List(Labels, label => label)));
}
