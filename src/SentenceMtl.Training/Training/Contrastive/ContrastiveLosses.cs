using static TorchSharp.torch;

namespace SentenceMtl.Training.Contrastive;

/// <summary>The objectives of <see cref="ContrastiveLoss"/> on batches of embedding pairs, as sentence-transformers computes them.</summary>
internal static class ContrastiveLosses
{
    /// <summary>Multiplies the cosine similarities before the softmax of <see cref="MultipleNegativesRanking"/> (sentence-transformers' default).</summary>
    public const double RankingScale = 20.0;

    /// <summary>The loss <paramref name="loss"/> of a batch (see <see cref="CosineSimilarity"/> and <see cref="MultipleNegativesRanking"/>).</summary>
    public static Tensor Compute(ContrastiveLoss loss, Tensor first, Tensor second, Tensor labels) => loss switch
    {
        ContrastiveLoss.CosineSimilarity => CosineSimilarity(first, second, labels),
        ContrastiveLoss.MultipleNegativesRanking => MultipleNegativesRanking(first, second),
        _ => throw new ArgumentOutOfRangeException(nameof(loss), loss, "Unknown contrastive loss."),
    };

    /// <summary>Mean over the pairs of (cos(first_i, second_i) − label_i)² (<c>CosineSimilarityLoss</c>).</summary>
    /// <param name="first">(B, H) first sentences' embeddings.</param>
    /// <param name="second">(B, H) second sentences' embeddings.</param>
    /// <param name="labels">(B) float32 targets: 1 for a positive pair, 0 for a negative one.</param>
    /// <returns>A scalar.</returns>
    public static Tensor CosineSimilarity(Tensor first, Tensor second, Tensor labels)
    {
        var cosine = nn.functional.cosine_similarity(first, second, dim: 1);                   // (B)
        return nn.functional.mse_loss(cosine, labels);
    }

    /// <summary>
    /// Cross-entropy of the scores s_ij = <see cref="RankingScale"/>·cos(anchor_i, positive_j) with target j = i
    /// (<c>MultipleNegativesRankingLoss</c>): every other pair's positive is a negative for anchor i.
    /// </summary>
    /// <param name="anchors">(B, H) anchors' embeddings.</param>
    /// <param name="positives">(B, H) their positives' embeddings, row for row.</param>
    /// <returns>A scalar.</returns>
    public static Tensor MultipleNegativesRanking(Tensor anchors, Tensor positives)
    {
        var a = nn.functional.normalize(anchors, p: 2, dim: 1);                                 // (B, H)
        var p = nn.functional.normalize(positives, p: 2, dim: 1);                               // (B, H)
        var scores = a.matmul(p.t()) * RankingScale;                                            // (B, B)
        var target = arange(anchors.shape[0], dtype: ScalarType.Int64, device: anchors.device); // (B): the diagonal
        return nn.functional.cross_entropy(scores, target);
    }
}
