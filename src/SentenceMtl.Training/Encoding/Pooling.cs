using TorchSharp;
using static TorchSharp.torch;

namespace SentenceMtl;

/// <summary>
/// Pooling as pure functions of the token embeddings and the attention mask: no weights, no state, inputs never
/// modified. Mirrors sentence-transformers' <c>Pooling</c> module.
/// </summary>
public static class Pooling
{
    static Pooling() => TorchSharpNative.EnsureLoadable();

    /// <summary>The value padding positions take before max pooling (as sentence-transformers).</summary>
    public const double MaxPoolingPadValue = -1e9;

    /// <summary>The smallest token count mean pooling divides by, so an all-padding row gives zeros, not NaN.</summary>
    public const double MinTokenCount = 1e-9;

    /// <summary>Pools a padded batch.</summary>
    /// <param name="tokenEmbeddings">(B, T, H) floating-point token embeddings.</param>
    /// <param name="attentionMask">(B, T) 1 (or true) for real tokens, 0 for padding.</param>
    /// <param name="strategy">The pooling to apply.</param>
    /// <returns>(B, H) sentence embeddings, a new tensor the caller owns.</returns>
    public static Tensor Pool(Tensor tokenEmbeddings, Tensor attentionMask, PoolingStrategy strategy)
    {
        ArgumentNullException.ThrowIfNull(tokenEmbeddings);
        ArgumentNullException.ThrowIfNull(attentionMask);
        if (tokenEmbeddings.dim() != 3 || attentionMask.dim() != 2
            || tokenEmbeddings.shape[0] != attentionMask.shape[0] || tokenEmbeddings.shape[1] != attentionMask.shape[1])
        {
            throw new ArgumentException(
                $"Expected token embeddings (B, T, H) and a mask (B, T); got [{string.Join(", ", tokenEmbeddings.shape)}] " +
                $"and [{string.Join(", ", attentionMask.shape)}].", nameof(attentionMask));
        }

        using var scope = NewDisposeScope();
        using var padFill = MaxPoolingPadValue.ToScalar();                                      // held through the call (see BertModel.forward)
        using var minCount = MinTokenCount.ToScalar();
        var x = tokenEmbeddings;                                                                // (B, T, H)
        var m = attentionMask.to_type(x.dtype).unsqueeze(-1);                                  // (B, T, 1)
        Tensor pooled = strategy switch
        {
            PoolingStrategy.Cls => x.select(1, 0).clone(),                                      // (B, H)
            PoolingStrategy.Mean => (x * m).sum(1) / m.sum(1).clamp_min(minCount),         // (B, H)
            PoolingStrategy.MeanSqrtLen => (x * m).sum(1) / m.sum(1).clamp_min(minCount).sqrt(),
            PoolingStrategy.Max => x.masked_fill(m.eq(0), padFill).amax(1),          // (B, H)
            _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "Unknown pooling strategy."),
        };
        return pooled.MoveToOuterDisposeScope();
    }

    /// <summary>L2-normalizes each row (rows of norm 0 stay 0), as <c>torch.nn.functional.normalize</c>.</summary>
    /// <param name="embeddings">(B, H).</param>
    /// <returns>(B, H) a new tensor the caller owns.</returns>
    public static Tensor Normalize(Tensor embeddings)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        return nn.functional.normalize(embeddings, p: 2, dim: -1);
    }
}
