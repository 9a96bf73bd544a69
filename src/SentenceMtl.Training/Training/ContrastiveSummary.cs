namespace SentenceMtl;

/// <summary>What the contrastive stage of <see cref="TrainingStrategy.Contrastive"/> did.</summary>
/// <param name="Pairs">Pairs trained on, over all its epochs.</param>
/// <param name="Steps">Its optimisation steps.</param>
/// <param name="EpochLosses">Mean pair loss of each of its epochs.</param>
/// <param name="PairsPerSecond"><paramref name="Pairs"/> per second of <paramref name="Duration"/>.</param>
/// <param name="Duration">Wall-clock time of the stage.</param>
public sealed record ContrastiveSummary(int Pairs, int Steps, IReadOnlyList<double> EpochLosses, double PairsPerSecond, TimeSpan Duration);
