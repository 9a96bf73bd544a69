using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SentenceMtl.Training;

/// <summary>
/// The supervised loss of one batch: Σ_t w_t · CE_t over the examples labelled for task t (a task without labels in the
/// batch contributes nothing), or with uncertainty weighting Σ_t exp(-s_t) · CE_t + s_t / 2 with s_t learned.
/// </summary>
/// <param name="tasks">The model's tasks.</param>
/// <param name="taskWeight">The fixed weight of a task (unused with <paramref name="logVariances"/>).</param>
/// <param name="logVariances">Uncertainty weighting's s_t per task, or null.</param>
internal sealed class MultiTaskLoss(IReadOnlyList<TaskDefinition> tasks, Func<string, double> taskWeight,
    IReadOnlyDictionary<string, Parameter>? logVariances)
{
    /// <summary>The loss of <paramref name="batch"/>.</summary>
    /// <param name="logits">Per task, (B, C) logits of the batch's rows.</param>
    /// <param name="batch">The examples' indices into <paramref name="labels"/>.</param>
    /// <param name="labels">Per task, the class index of every example (negative: unlabelled).</param>
    /// <returns>The total (null when no task has a label in the batch) and each labelled task's mean cross-entropy.</returns>
    public (Tensor? Total, Dictionary<string, double> PerTask) Compute(IReadOnlyDictionary<string, Tensor> logits, int[] batch,
        IReadOnlyDictionary<string, int[]> labels)
    {
        Tensor? total = null;
        var perTask = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var task in tasks)
        {
            var gold = batch.Select(i => labels[task.Name][i]).ToArray();
            var rows = Enumerable.Range(0, gold.Length).Where(r => gold[r] >= 0).Select(r => (long)r).ToArray();
            if (rows.Length == 0)
            {
                continue;
            }

            var taskLogits = logits[task.Name];                                                 // (B, C)
            var target = tensor(rows.Select(r => (long)gold[r]).ToArray(), device: taskLogits.device);
            var selected = rows.Length == gold.Length ? taskLogits : taskLogits.index_select(0, tensor(rows, device: taskLogits.device));
            var ce = nn.functional.cross_entropy(selected, target);                             // mean over labelled rows
            perTask[task.Name] = ce.item<float>();
            double weight = taskWeight(task.Name);
            var weighted = logVariances is not null
                ? (ce * (-logVariances[task.Name]).exp()).sum() + (logVariances[task.Name].sum() * 0.5)
                : weight == 1.0 ? ce : ce * weight;                                             // ×1 exactly: no extra graph node
            total = total is null ? weighted : total + weighted;
        }

        return (total, perTask);
    }
}
