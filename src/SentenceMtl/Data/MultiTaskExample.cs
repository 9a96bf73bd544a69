using System.Text;

namespace SentenceMtl;

/// <summary>One labelled sentence: its text and, per task, the name of its label.</summary>
/// <param name="Text">The text, exactly as given to the encoder (an empty string is a valid text).</param>
/// <param name="Labels">Label name per task name. A task that is absent has no label for this example, so the
/// example counts for the other tasks only.</param>
public sealed record MultiTaskExample(string Text, IReadOnlyDictionary<string, string> Labels)
{
    /// <summary>Whether <paramref name="other"/> has the same text and the same label for every task (ordinal).</summary>
    /// <param name="other">The example to compare with.</param>
    /// <returns><see langword="true"/> when text and labels match.</returns>
    public bool Equals(MultiTaskExample? other) =>
        other is not null && string.Equals(Text, other.Text, StringComparison.Ordinal) && SameLabels(Labels, other.Labels);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Text, Labels?.Count);

    private static bool SameLabels(IReadOnlyDictionary<string, string>? a, IReadOnlyDictionary<string, string>? b) =>
        ReferenceEquals(a, b)
        || (a is not null && b is not null && a.Count == b.Count
            && a.All(pair => b.TryGetValue(pair.Key, out var label) && string.Equals(label, pair.Value, StringComparison.Ordinal)));

    // Shows the labels rather than the dictionary's type name: Text = ..., Labels = { topic: Sports }.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Text = \"").Append(Text).Append("\", Labels = { ");
        if (Labels is not null)
        {
            builder.AppendJoin(", ", Labels.Select(pair => $"{pair.Key}: {pair.Value}"));
        }

        builder.Append(" }");
        return true;
    }
}
