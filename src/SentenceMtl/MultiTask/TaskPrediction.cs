using System.Text;

namespace SentenceMtl;

/// <summary>One task's prediction for one sentence.</summary>
/// <param name="Task">The task's name.</param>
/// <param name="Label">The most probable label.</param>
/// <param name="LabelIndex">Its class index.</param>
/// <param name="Probabilities">Softmax probabilities in the task's label order.</param>
/// <param name="Labels">The task's label names, in the order of <paramref name="Probabilities"/>.</param>
public sealed record TaskPrediction(string Task, string Label, int LabelIndex, IReadOnlyList<float> Probabilities, IReadOnlyList<string> Labels)
{
    /// <summary>The probability of the predicted label.</summary>
    public float Confidence => Probabilities[LabelIndex];

    /// <summary>Each label with its probability, in the task's label order.</summary>
    public IReadOnlyList<KeyValuePair<string, float>> LabelProbabilities =>
        Labels.Zip(Probabilities, (label, p) => new KeyValuePair<string, float>(label, p)).ToArray();

    /// <summary>The probability of <paramref name="label"/>.</summary>
    /// <exception cref="KeyNotFoundException">The task has no label of that name (the message lists its labels).</exception>
    public float ProbabilityOf(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        for (int i = 0; i < Labels.Count; i++)
        {
            if (string.Equals(Labels[i], label, StringComparison.Ordinal))
            {
                return Probabilities[i];
            }
        }

        throw new KeyNotFoundException($"Task '{Task}' has no label '{ErrorText.Shorten(label)}'; its labels are: {ErrorText.List(Labels)}.");
    }

    // Task = topic, Label = Sports, LabelIndex = 1, Probabilities = { Technology: 0.02, Sports: 0.91, … }.
    private bool PrintMembers(StringBuilder builder) => ResultText.Members(builder,
        ("Task", Task), ("Label", Label), ("LabelIndex", LabelIndex.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("Probabilities", Labels is null || Probabilities is null ? "null" : ResultText.Map(LabelProbabilities.Select(p => KeyValuePair.Create(p.Key, (double)p.Value)))));
}
