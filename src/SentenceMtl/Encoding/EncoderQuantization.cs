namespace SentenceMtl;

/// <summary>How the inference engine stores and multiplies an encoder's linear layers.</summary>
public enum EncoderQuantization
{
    /// <summary>float32 throughout (the model's own weights).</summary>
    None,

    /// <summary>
    /// int8: the engine quantizes every linear layer's weights once when it is built (symmetric, one scale per output
    /// channel) and each layer's input per token as it runs, multiplies in exact 32-bit integer sums and converts back to
    /// float32 with the bias, residual and GELU. Attention, layer norms, softmax and pooling stay float32. Inference only:
    /// training always runs on the float32 weights, and the engine is quantized again from the trained weights.
    /// </summary>
    Int8,
}
