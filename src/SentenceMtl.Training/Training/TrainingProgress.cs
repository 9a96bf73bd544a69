using System.Text;

namespace SentenceMtl;

/// <summary>Reported after every optimisation step, and once per epoch with validation metrics.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Step">1-based step within the run.</param>
/// <param name="TotalSteps">Steps in the whole run.</param>
/// <param name="Loss">The step's total (weighted) loss.</param>
/// <param name="TaskLosses">The step's cross-entropy per task (tasks without labels in the batch are absent).</param>
/// <param name="ValidationMacroF1">At the end of an epoch with a validation set: macro-F1 per task; otherwise null.</param>
/// <param name="IsEpochEnd">True for the one report per epoch that summarises it (mean losses over the epoch).</param>
/// <param name="Stage">The stage the report belongs to; in the <see cref="TrainingStage.Contrastive"/> stage, Epoch,
/// Step and TotalSteps count that stage's epochs and steps, Loss is the pair loss and TaskLosses is empty.</param>
public sealed record TrainingProgress(
    int Epoch,
    int Step,
    int TotalSteps,
    double Loss,
    IReadOnlyDictionary<string, double> TaskLosses,
    IReadOnlyDictionary<string, double>? ValidationMacroF1 = null,
    bool IsEpochEnd = false,
    TrainingStage Stage = TrainingStage.Supervised)
{
    // TaskLosses = { topic: 0.61, … } rather than the dictionary's type name.
    private bool PrintMembers(StringBuilder builder) => ResultText.Members(builder,
        ("Stage", Stage.ToString()),
        ("Epoch", Epoch.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("Step", $"{Step}/{TotalSteps}"),
        ("Loss", ResultText.Number(Loss)),
        ("TaskLosses", ResultText.Map(TaskLosses)),
        ("ValidationMacroF1", ResultText.Map(ValidationMacroF1)),
        ("IsEpochEnd", IsEpochEnd.ToString()));
}
