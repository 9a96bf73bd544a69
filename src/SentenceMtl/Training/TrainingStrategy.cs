namespace SentenceMtl;

/// <summary>Which parameters train, and when.</summary>
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
}
