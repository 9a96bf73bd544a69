namespace SentenceMtl.Training.Contrastive;

/// <summary>Two sentences for contrastive training, as indices into the training texts.</summary>
/// <param name="First">Index of the first sentence (the anchor).</param>
/// <param name="Second">Index of the second sentence.</param>
/// <param name="Label">1 when both have the same label in the task the pair was made for, 0 when their labels differ.</param>
internal readonly record struct ContrastivePair(int First, int Second, float Label);
