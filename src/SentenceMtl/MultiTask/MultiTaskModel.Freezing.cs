using SentenceMtl.Modeling.Heads;
using TorchSharp.Modules;

namespace SentenceMtl;

// Freezing: which parameters train, the leases that keep calls on other threads from seeing a change half-done, and the
// training / evaluation modes the trainer switches.
public sealed partial class MultiTaskModel
{
    /// <summary>Whether every backbone parameter is frozen.</summary>
    public bool IsBackboneFrozen
    {
        get
        {
            using var lease = Share();
            return encoder.Backbone.parameters().All(p => !p.requires_grad);
        }
    }

    /// <summary>Freezes the whole backbone: its parameters stop receiving gradients and it runs in eval mode.</summary>
    /// <remarks>
    /// A model is created and loaded with its backbone frozen, so inference runs on the inference engine. Backbone
    /// freezing does not steer <see cref="MultiTaskTrainer"/>: <see cref="TrainerOptions.Strategy"/> alone decides what
    /// of the backbone trains, and the freezing is put back when training ends. Heads frozen with
    /// <see cref="FreezeHead"/> stay frozen under every strategy. Freezing changes wait for calls in flight on other
    /// threads (see <see cref="Dispose"/>).
    /// </remarks>
    public void FreezeBackbone()
    {
        using var lease = Exclusive();
        SetRequiresGrad(encoder.Backbone.parameters(), false);
        encoder.RefreshEngine();                                                                // frozen: inference through the engine
    }

    /// <summary>Makes every backbone parameter trainable (inference then runs on libtorch; see <see cref="FreezeBackbone"/>).</summary>
    public void UnfreezeBackbone()
    {
        using var lease = Exclusive();
        encoder.DropEngine();                                                                   // the weights may now change
        SetRequiresGrad(encoder.Backbone.parameters(), true);
    }

    /// <summary>
    /// Freezes the embeddings and the lowest <paramref name="count"/> encoder layers and unfreezes the layers above
    /// (gradual unfreezing: call with decreasing counts). 0 unfreezes the layers but keeps the embeddings frozen.
    /// </summary>
    public void FreezeLowerLayers(int count)
    {
        ThrowIfDisposed();
        var layers = encoder.Backbone.Layers;
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, layers.Count);
        using var lease = Exclusive();
        UnfreezeBackbone();
        SetRequiresGrad(encoder.Backbone.Embeddings.parameters(), false);
        for (int i = 0; i < count; i++)
        {
            SetRequiresGrad(layers[i].parameters(), false);
        }

        if (encoder.Backbone.HasPooler)
        {
            SetRequiresGrad(encoder.Backbone.named_parameters().Where(p => p.name.StartsWith("pooler.", StringComparison.Ordinal)).Select(p => p.parameter), false);
        }
    }

    /// <summary>Freezes the head of <paramref name="task"/>.</summary>
    public void FreezeHead(string task)
    {
        var head = Head(task);
        using var lease = Exclusive();
        SetRequiresGrad(head.parameters(), false);
    }

    /// <summary>Unfreezes the head of <paramref name="task"/>.</summary>
    public void UnfreezeHead(string task)
    {
        var head = Head(task);
        using var lease = Exclusive();
        SetRequiresGrad(head.parameters(), true);
    }

    /// <summary>Whether the head of <paramref name="task"/> is frozen.</summary>
    public bool IsHeadFrozen(string task)
    {
        var head = Head(task);
        using var lease = Share();
        return head.parameters().All(p => !p.requires_grad);
    }

    /// <summary>Freezes the backbone and every head.</summary>
    public void FreezeAll()
    {
        ThrowIfDisposed();
        FreezeBackbone();
        foreach (var task in Tasks)
        {
            FreezeHead(task.Name);
        }
    }

    /// <summary>Unfreezes the backbone and every head.</summary>
    public void UnfreezeAll()
    {
        ThrowIfDisposed();
        UnfreezeBackbone();
        foreach (var task in Tasks)
        {
            UnfreezeHead(task.Name);
        }
    }

    /// <summary>Number of trainable (not frozen) parameter elements.</summary>
    public long TrainableParameterCount
    {
        get
        {
            using var lease = Share();
            return TrainableParameters().Sum(p => p.numel());
        }
    }

    /// <summary>A shared lease on the model's memory (see <see cref="EncoderLifetime"/>): for calls that read it.</summary>
    internal EncoderLifetime.Lease Share() => encoder.Lifetime.Share(typeof(MultiTaskModel).FullName);

    /// <summary>The exclusive lease: for calls that change freezing or weights (and so the packed inference weights).</summary>
    internal EncoderLifetime.Lease Exclusive() => encoder.Lifetime.Exclusive(typeof(MultiTaskModel).FullName);

    internal IEnumerable<(string Name, Parameter Parameter)> NamedTrainableParameters() =>
        AllParametersByName().Where(p => p.Parameter.requires_grad);

    internal IEnumerable<Parameter> TrainableParameters() => NamedTrainableParameters().Select(p => p.Parameter);

    internal IEnumerable<(string Name, Parameter Parameter)> AllParametersByName() =>
        encoder.Backbone.named_parameters().Select(p => ("backbone." + p.name, p.parameter))
            .Concat(Tasks.SelectMany(t => heads[t.Name].named_parameters().Select(p => ($"heads.{t.Name}.{p.name}", p.parameter))));

    internal ClassificationHead Head(string task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return heads.TryGetValue(task, out var head)
            ? head
            : throw new ArgumentException($"No task named '{task}' (tasks: {string.Join(", ", Tasks.Select(t => t.Name))}).", nameof(task));
    }

    /// <summary>
    /// Training mode for the heads; the backbone trains only where it is not frozen (frozen layers, and a wholly
    /// frozen backbone, stay in eval mode so their outputs are deterministic).
    /// </summary>
    internal void SetTrainingMode(bool training) => SetTrainingMode(training, IsBackboneFrozen);

    /// <summary>As <see cref="SetTrainingMode(bool)"/>, for a caller that knows whether the whole backbone is frozen
    /// (<see cref="IsBackboneFrozen"/> walks every backbone parameter).</summary>
    internal void SetTrainingMode(bool training, bool backboneFrozen)
    {
        foreach (var head in heads.Values)
        {
            head.train(training);
        }

        var backbone = encoder.Backbone;
        bool trainBackbone = training && !backboneFrozen;
        if (trainBackbone || backbone.training)                                                 // a frozen backbone stays in eval mode: no walk over its modules
        {
            backbone.train(trainBackbone);
        }

        if (trainBackbone)
        {
            if (backbone.Embeddings.parameters().All(p => !p.requires_grad))
            {
                backbone.Embeddings.eval();
            }

            foreach (var layer in backbone.Layers.Where(l => l.parameters().All(p => !p.requires_grad)))
            {
                layer.eval();
            }
        }
    }

    private static void SetRequiresGrad(IEnumerable<Parameter> parameters, bool value)
    {
        foreach (var p in parameters)
        {
            p.requires_grad = value;
        }
    }
}
