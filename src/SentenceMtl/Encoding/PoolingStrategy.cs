namespace SentenceMtl;

/// <summary>How token embeddings are reduced to one sentence embedding (sentence-transformers' pooling modes).</summary>
public enum PoolingStrategy
{
    /// <summary>The first token's (<c>[CLS]</c>) embedding.</summary>
    Cls,

    /// <summary>The attention-mask-weighted mean of the token embeddings.</summary>
    Mean,

    /// <summary>The element-wise maximum over real tokens (padding replaced by -1e9 first).</summary>
    Max,

    /// <summary>The masked sum divided by the square root of the token count (sentence-transformers' mean_sqrt_len_tokens).</summary>
    MeanSqrtLen,
}
