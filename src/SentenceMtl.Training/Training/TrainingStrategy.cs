namespace SentenceMtl;

/// <summary>
/// Which parameters train, and when: the one setting that decides what of the backbone trains (heads frozen with
/// <see cref="MultiTaskModel.FreezeHead"/> stay frozen under every strategy).
/// </summary>
public enum TrainingStrategy
{
    /// <summary>Backbone frozen, heads trained (embeddings computed once and cached). Fast; the default.</summary>
    HeadsOnly,

    /// <summary>Backbone and heads trained together (backbone at its own, smaller learning rate).</summary>
    FullFineTuning,

    /// <summary>One head trains per epoch while the others are frozen, in turn; the backbone keeps its freezing.</summary>
    AlternatingHeads,

    /// <summary>Heads first, then one more encoder layer unfrozen per epoch from the top down, lower layers at smaller learning rates.</summary>
    GradualUnfreezing,

    /// <summary>
    /// SetFit: the backbone first learns from sentence pairs built from every task's labels (same label: similar;
    /// different: dissimilar; see <see cref="TrainerOptions.Contrastive"/>), then the heads train on its frozen, cached
    /// embeddings as with <see cref="HeadsOnly"/>.
    /// </summary>
    Contrastive,
}
