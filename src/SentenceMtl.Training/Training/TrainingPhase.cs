namespace SentenceMtl.Training;

/// <summary>What trains during one epoch of the supervised (cross-entropy) stage.</summary>
/// <param name="BackboneFrozen">The whole backbone is frozen this epoch.</param>
/// <param name="FrozenLowerLayers">With an unfrozen backbone: the lowest layers that stay frozen (null: none, embeddings train too).</param>
/// <param name="OnlyHead">Alternating heads: the one head that trains this epoch.</param>
internal sealed record TrainingPhase(bool BackboneFrozen, int? FrozenLowerLayers, string? OnlyHead)
{
    /// <summary>A key that differs between phases that train different parameters.</summary>
    public string Key => $"{BackboneFrozen}/{FrozenLowerLayers}/{OnlyHead}";

    /// <summary>
    /// The phase of 0-based <paramref name="epoch"/>: the strategy decides what of the backbone trains, and with
    /// <see cref="TrainingStrategy.Contrastive"/> the epochs after <see cref="TrainerOptions.Epochs"/> are
    /// <see cref="ContrastiveOptions.EndToEndEpochs"/>, which train the layers the pairs trained.
    /// </summary>
    /// <param name="options">The trainer's options.</param>
    /// <param name="epoch">0-based epoch of the supervised stage.</param>
    /// <param name="layerCount">The backbone's encoder layers.</param>
    /// <param name="tasks">The model's tasks, in head order.</param>
    public static TrainingPhase For(TrainerOptions options, int epoch, int layerCount, IReadOnlyList<TaskDefinition> tasks) => options.Strategy switch
    {
        TrainingStrategy.Contrastive when epoch >= options.Epochs => new TrainingPhase(false, options.Contrastive.FrozenLowerLayers(layerCount), null),
        TrainingStrategy.HeadsOnly or TrainingStrategy.Contrastive => new TrainingPhase(true, null, null),
        TrainingStrategy.FullFineTuning => new TrainingPhase(false, null, null),
        TrainingStrategy.AlternatingHeads => new TrainingPhase(true, null, tasks[epoch % tasks.Count].Name),
        TrainingStrategy.GradualUnfreezing => epoch == 0
            ? new TrainingPhase(true, null, null)
            : new TrainingPhase(false, Math.Max(0, layerCount - epoch), null),
        _ => throw new ArgumentOutOfRangeException(nameof(options), options.Strategy, "Unknown strategy."),
    };

    /// <summary>Sets the model's freezing to this phase; heads the user froze stay frozen.</summary>
    /// <param name="model">The model being trained (its exclusive lease is held).</param>
    /// <param name="userHeadFrozen">Per task, whether its head was frozen when training started.</param>
    public void Apply(TrainableModel model, IReadOnlyDictionary<string, bool> userHeadFrozen)
    {
        if (BackboneFrozen)
        {
            model.FreezeBackbone();
        }
        else if (FrozenLowerLayers is { } frozen)
        {
            model.FreezeLowerLayers(frozen);
        }
        else
        {
            model.UnfreezeBackbone();
        }

        foreach (var task in model.Tasks)
        {
            bool train = !userHeadFrozen[task.Name] && (OnlyHead is null || OnlyHead == task.Name);
            if (train)
            {
                model.UnfreezeHead(task.Name);
            }
            else
            {
                model.FreezeHead(task.Name);
            }
        }
    }
}
