namespace SentenceMtl;

/// <summary>One line of a <see cref="ClassificationReport"/>: a class, or an average over the classes.</summary>
/// <param name="Name">The class's display name (its target name, or the label as text), or <c>"micro avg"</c>,
/// <c>"macro avg"</c>, <c>"weighted avg"</c> for the averages.</param>
/// <param name="Precision">tp / (tp + fp); the report's zero-division value when nothing was predicted as the class.</param>
/// <param name="Recall">tp / (tp + fn); the report's zero-division value when the class has no true samples.</param>
/// <param name="F1Score">2·tp / (2·tp + fp + fn); the report's zero-division value when tp + fp + fn is 0.</param>
/// <param name="Support">The number of samples whose true label is the class (for an average: the sum over the
/// report's classes).</param>
public sealed record ClassificationReportRow(string Name, double Precision, double Recall, double F1Score, int Support);
