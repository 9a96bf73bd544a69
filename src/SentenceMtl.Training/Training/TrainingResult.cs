namespace SentenceMtl;

/// <summary>The outcome of <see cref="MultiTaskTrainer.Train"/>.</summary>
/// <param name="Epochs">One summary per epoch run.</param>
/// <param name="BestEpoch">The epoch whose weights the model holds (the last one without a validation set).</param>
/// <param name="StoppedEarly">Whether early stopping ended the run.</param>
/// <param name="TaskWeights">The final task weights (learned ones with uncertainty weighting).</param>
public sealed record TrainingResult(
    IReadOnlyList<EpochSummary> Epochs,
    int BestEpoch,
    bool StoppedEarly,
    IReadOnlyDictionary<string, double> TaskWeights)
{
    /// <summary>What the contrastive stage did (<see cref="TrainingStrategy.Contrastive"/> only; otherwise null).</summary>
    public ContrastiveSummary? Contrastive { get; init; }
}
