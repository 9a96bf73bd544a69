namespace SentenceMtl;

/// <summary>The objective of SetFit-style contrastive training of the backbone (see <see cref="ContrastiveOptions"/>).</summary>
public enum ContrastiveLoss
{
    /// <summary>
    /// Mean squared error between the cosine similarity of a pair's embeddings and its label (1 for the same class, 0 for
    /// different classes): sentence-transformers' <c>CosineSimilarityLoss</c>, SetFit's default. Uses every pair.
    /// </summary>
    CosineSimilarity,

    /// <summary>
    /// Multiple negatives ranking: each positive pair's first sentence is scored (cosine × 20) against the second sentence
    /// of every positive pair in the batch, and cross-entropy picks its own partner (sentence-transformers'
    /// <c>MultipleNegativesRankingLoss</c>). Uses the positive pairs only; the other pairs' sentences serve as negatives.
    /// </summary>
    MultipleNegativesRanking,
}
