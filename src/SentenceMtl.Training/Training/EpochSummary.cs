using System.Text;

namespace SentenceMtl;

/// <summary>What one epoch did.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Loss">Mean total loss over the epoch's steps.</param>
/// <param name="TaskLosses">Mean cross-entropy per task over the epoch's steps.</param>
/// <param name="ValidationMacroF1">Macro-F1 per task on the validation set, if one was given.</param>
/// <param name="Duration">Wall-clock time of the epoch (including validation).</param>
public sealed record EpochSummary(
    int Epoch,
    double Loss,
    IReadOnlyDictionary<string, double> TaskLosses,
    IReadOnlyDictionary<string, double>? ValidationMacroF1,
    TimeSpan Duration)
{
    /// <summary>The mean of <see cref="ValidationMacroF1"/> over tasks (the early-stopping criterion), or null.</summary>
    public double? MeanValidationMacroF1 => ValidationMacroF1 is { Count: > 0 } f1 ? f1.Values.Average() : null;

    // TaskLosses = { topic: 0.61, sentiment: 0.72 } rather than the dictionary's type name.
    private bool PrintMembers(StringBuilder builder) => ResultText.Members(builder,
        ("Epoch", Epoch.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("Loss", ResultText.Number(Loss)),
        ("TaskLosses", ResultText.Map(TaskLosses)),
        ("ValidationMacroF1", ResultText.Map(ValidationMacroF1)),
        ("Duration", Duration.ToString("c", System.Globalization.CultureInfo.InvariantCulture)));
}
