namespace SentenceMtl.Training.Contrastive;

/// <summary>What a run of <see cref="ContrastiveBodyTraining.Run"/> did.</summary>
/// <param name="EpochLosses">Mean loss of each epoch's steps, in order.</param>
/// <param name="Steps">Optimisation steps taken over all epochs.</param>
/// <param name="Pairs">Pairs trained on over all epochs (the positive pairs only, for <see cref="ContrastiveLoss.MultipleNegativesRanking"/>).</param>
/// <param name="PairsPerSecond"><paramref name="Pairs"/> divided by <paramref name="Duration"/>.</param>
/// <param name="Duration">Wall-clock time of the run, tokenisation included.</param>
internal sealed record ContrastiveResult(IReadOnlyList<double> EpochLosses, int Steps, int Pairs, double PairsPerSecond, TimeSpan Duration);
