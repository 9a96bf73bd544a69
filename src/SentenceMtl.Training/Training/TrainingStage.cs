namespace SentenceMtl;

/// <summary>The stages of <see cref="MultiTaskTrainer.Train"/>.</summary>
public enum TrainingStage
{
    /// <summary>Cross-entropy on the labels: the heads, and the backbone where the strategy trains it.</summary>
    Supervised,

    /// <summary><see cref="TrainingStrategy.Contrastive"/>'s first stage: the backbone on sentence pairs.</summary>
    Contrastive,
}
