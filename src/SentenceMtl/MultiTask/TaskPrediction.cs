namespace SentenceMtl;

/// <summary>One task's prediction for one sentence.</summary>
/// <param name="Task">The task's name.</param>
/// <param name="Label">The most probable label.</param>
/// <param name="LabelIndex">Its class index.</param>
/// <param name="Probabilities">Softmax probabilities in the task's label order.</param>
public sealed record TaskPrediction(string Task, string Label, int LabelIndex, IReadOnlyList<float> Probabilities)
{
    /// <summary>The probability of the predicted label.</summary>
    public float Confidence => Probabilities[LabelIndex];
}
