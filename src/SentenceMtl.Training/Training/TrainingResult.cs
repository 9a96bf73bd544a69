using System.Text;

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

    // Epochs = 3 [EpochSummary { Epoch = 1, Loss = 1.2, … }, …], TaskWeights = { topic: 1, … } rather than the
    // collections' type names.
    private bool PrintMembers(StringBuilder builder) => ResultText.Members(builder,
        ("Epochs", Epochs is null ? "null" : $"{Epochs.Count} {ResultText.List(Epochs, e => e.ToString())}"),
        ("BestEpoch", BestEpoch.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("StoppedEarly", StoppedEarly.ToString()),
        ("TaskWeights", ResultText.Map(TaskWeights)),
        ("Contrastive", Contrastive?.ToString() ?? "null"));
}
