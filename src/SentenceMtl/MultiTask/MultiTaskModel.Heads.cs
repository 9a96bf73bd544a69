using SentenceMtl.MultiTask;
using SentenceMtl.Serialization;

namespace SentenceMtl;

// The heads: which ones training leaves alone, and the hand-over of trained weights from the training package.
public sealed partial class MultiTaskModel
{
    /// <summary>Keeps the head of <paramref name="task"/> as it is when the model is trained again (for example, to add
    /// a task without moving the others'). Every strategy honours it.</summary>
    /// <exception cref="ArgumentException">There is no such task (the message lists the model's).</exception>
    public void FreezeHead(string task) => SetHeadFrozen(task, true);

    /// <summary>Lets training change the head of <paramref name="task"/> again (the default).</summary>
    /// <exception cref="ArgumentException">There is no such task (the message lists the model's).</exception>
    public void UnfreezeHead(string task) => SetHeadFrozen(task, false);

    /// <summary>Whether <see cref="FreezeHead"/> keeps the head of <paramref name="task"/> out of training.</summary>
    /// <exception cref="ArgumentException">There is no such task (the message lists the model's).</exception>
    public bool IsHeadFrozen(string task)
    {
        RequireTask(task);
        lock (frozenHeads)
        {
            return frozenHeads.Contains(task);
        }
    }

    /// <summary>A shared lease on the model (see <see cref="EncoderLifetime"/>): for calls that read it.</summary>
    internal EncoderLifetime.Lease Share() => lifetime.Share();

    /// <summary>The exclusive lease: training holds it, so calls on other threads wait for the trained model.</summary>
    internal EncoderLifetime.Lease Exclusive() => lifetime.Exclusive();

    /// <summary>The trained heads' weights by task, keys <c>mlp.{3k}.weight</c> / <c>.bias</c>, or null before training.</summary>
    internal IReadOnlyDictionary<string, IReadOnlyDictionary<string, TensorData>>? HeadStateDicts()
    {
        var trained = Volatile.Read(ref heads);
        return trained?.ToDictionary(kv => kv.Key,
            kv => (IReadOnlyDictionary<string, TensorData>)kv.Value.ToStateDict("").ToDictionary(t => t.Name, StringComparer.Ordinal),
            StringComparer.Ordinal);
    }

    /// <summary>
    /// Takes the result of training: every head's state dict (keys <c>mlp.{3k}.weight</c> / <c>.bias</c>) and, when the
    /// backbone was trained, the new encoder built from its weights (the model then owns it and disposes the old one).
    /// The caller holds <see cref="Exclusive"/>, so no call sees half of it.
    /// </summary>
    /// <exception cref="ModelFormatException">A head's weights are misshaped or not finite.</exception>
    internal void TakeTrained(IReadOnlyDictionary<string, IReadOnlyDictionary<string, TensorData>> trainedHeads, SentenceEncoder? trainedEncoder)
    {
        var built = new Dictionary<string, MlpHead>(StringComparer.Ordinal);
        foreach (var task in Tasks)
        {
            var sizes = Options.HiddenSizesFor(task.Name);
            var expected = MlpHead.ExpectedShapes(trainedEncoder?.Dimension ?? encoder.Dimension, sizes, task.Labels.Count);
            var state = trainedHeads[task.Name];
            if (expected.Any(kv => !state.TryGetValue(kv.Key, out var t) || !t.Shape.SequenceEqual(kv.Value.Shape)))
            {
                throw new ModelFormatException("trained heads", $"the head of task '{task.Name}' does not have the shapes its options give.");
            }

            built[task.Name] = MlpHead.FromStateDict(state, sizes.Count, Options.Activation, "trained heads", task.Name + ".");
        }

        Volatile.Write(ref heads, built);
        if (trainedEncoder is not null)
        {
            var previous = encoder;
            Volatile.Write(ref encoder, trainedEncoder);
            previous.Dispose();
        }
    }

    /// <summary>The trained heads, or an exception that says how to train them.</summary>
    private Dictionary<string, MlpHead> TrainedHeads(string action) => Volatile.Read(ref heads) ?? throw new InvalidOperationException(
        $"Cannot {action}: the model's heads are not trained yet. Train them with MultiTaskTrainer (package SentenceMtl.Training), or load a trained model with MultiTaskModel.Load.");

    private void SetHeadFrozen(string task, bool frozen)
    {
        RequireTask(task);
        lock (frozenHeads)
        {
            if (frozen)
            {
                frozenHeads.Add(task);
            }
            else
            {
                frozenHeads.Remove(task);
            }
        }
    }

    private void RequireTask(string task)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(task);
        if (Tasks.All(t => t.Name != task))
        {
            throw new ArgumentException($"No task named '{ErrorText.Shorten(task)}' (tasks: {string.Join(", ", Tasks.Select(t => t.Name))}).", nameof(task));
        }
    }
}
