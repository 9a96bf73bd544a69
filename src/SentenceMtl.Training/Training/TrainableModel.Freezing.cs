using TorchSharp.Modules;

namespace SentenceMtl.Training;

// Freezing: which parameters a strategy trains, and the training / evaluation modes it switches. The model is created
// with its backbone frozen; heads the user froze on the core model (MultiTaskModel.FreezeHead) stay frozen.
internal sealed partial class TrainableModel
{
    /// <summary>Whether every backbone parameter is frozen.</summary>
    public bool IsBackboneFrozen => Encoder.Backbone.parameters().All(p => !p.requires_grad);

    /// <summary>Freezes the whole backbone.</summary>
    public void FreezeBackbone() => SetRequiresGrad(Encoder.Backbone.parameters(), false);

    /// <summary>Makes every backbone parameter trainable.</summary>
    public void UnfreezeBackbone() => SetRequiresGrad(Encoder.Backbone.parameters(), true);

    /// <summary>
    /// Freezes the embeddings and the lowest <paramref name="count"/> encoder layers and unfreezes the layers above
    /// (gradual unfreezing: called with decreasing counts). 0 unfreezes the layers but keeps the embeddings frozen.
    /// </summary>
    public void FreezeLowerLayers(int count)
    {
        var backbone = Encoder.Backbone;
        var layers = backbone.Layers;
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, layers.Count);
        UnfreezeBackbone();
        SetRequiresGrad(backbone.Embeddings.parameters(), false);
        for (int i = 0; i < count; i++)
        {
            SetRequiresGrad(layers[i].parameters(), false);
        }

        if (backbone.HasPooler)
        {
            SetRequiresGrad(backbone.named_parameters().Where(p => p.name.StartsWith("pooler.", StringComparison.Ordinal)).Select(p => p.parameter), false);
        }
    }

    /// <summary>Freezes the head of <paramref name="task"/> for this run.</summary>
    public void FreezeHead(string task) => SetRequiresGrad(heads[task].parameters(), false);

    /// <summary>Unfreezes the head of <paramref name="task"/> for this run.</summary>
    public void UnfreezeHead(string task) => SetRequiresGrad(heads[task].parameters(), true);

    /// <summary>Whether the head of <paramref name="task"/> is frozen in this run.</summary>
    public bool IsHeadFrozen(string task) => heads[task].parameters().All(p => !p.requires_grad);

    /// <summary>Number of trainable (not frozen) parameter elements.</summary>
    public long TrainableParameterCount => TrainableParameters().Sum(p => p.numel());

    public IEnumerable<(string Name, Parameter Parameter)> NamedTrainableParameters() =>
        AllParametersByName().Where(p => p.Parameter.requires_grad);

    public IEnumerable<Parameter> TrainableParameters() => NamedTrainableParameters().Select(p => p.Parameter);

    public IEnumerable<(string Name, Parameter Parameter)> AllParametersByName() =>
        Encoder.Backbone.named_parameters().Select(p => ("backbone." + p.name, p.parameter))
            .Concat(Tasks.SelectMany(t => heads[t.Name].named_parameters().Select(p => ($"heads.{t.Name}.{p.name}", p.parameter))));

    /// <summary>
    /// Training mode for the heads; the backbone trains only where it is not frozen (frozen layers, and a wholly
    /// frozen backbone, stay in eval mode so their outputs are deterministic).
    /// </summary>
    public void SetTrainingMode(bool training) => SetTrainingMode(training, IsBackboneFrozen);

    /// <summary>As <see cref="SetTrainingMode(bool)"/>, for a caller that knows whether the whole backbone is frozen.</summary>
    public void SetTrainingMode(bool training, bool backboneFrozen)
    {
        foreach (var head in heads.Values)
        {
            head.train(training);
        }

        var backbone = Encoder.Backbone;
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
