namespace SentenceMtl;

/// <summary>The activation between a classification head's hidden layers.</summary>
public enum HeadActivation
{
    /// <summary>Gaussian error linear unit (exact).</summary>
    Gelu,

    /// <summary>Rectified linear unit.</summary>
    Relu,

    /// <summary>Hyperbolic tangent.</summary>
    Tanh,
}
