namespace SentenceMtl.Inference.Kernels;

/// <summary>What <see cref="PackedLinear"/> does with each output value x·Wᵀ + b before it is stored.</summary>
internal enum LinearEpilogue
{
    /// <summary>Store it.</summary>
    None,

    /// <summary>Store GELU of it (BERT's intermediate layer).</summary>
    Gelu,

    /// <summary>Add it to the value already in the output (the residual connection before a layer norm).</summary>
    AddToOutput,
}
