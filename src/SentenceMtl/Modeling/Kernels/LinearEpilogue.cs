namespace SentenceMtl.Modeling.Kernels;

/// <summary>What <see cref="PrepackedLinear"/> does with each value of x·Wᵀ + b before storing it.</summary>
internal enum LinearEpilogue
{
    /// <summary>Store it: y = x·Wᵀ + b.</summary>
    None,

    /// <summary>Add it to what the output holds (a residual connection): y += x·Wᵀ + b.</summary>
    AddToOutput,

    /// <summary>Store its exact (erf) GELU, as <c>torch.nn.functional.gelu</c>: y = gelu(x·Wᵀ + b).</summary>
    Gelu,
}
