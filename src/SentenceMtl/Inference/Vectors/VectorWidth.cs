namespace SentenceMtl.Inference.Vectors;

/// <summary>The vector width the inference kernels run at, in bits.</summary>
internal enum VectorWidth
{
    /// <summary>128-bit vectors (SSE + FMA on x64, AdvSimd on ARM64): 4 floats.</summary>
    Bits128 = 128,

    /// <summary>256-bit vectors (AVX2 + FMA): 8 floats.</summary>
    Bits256 = 256,

    /// <summary>512-bit vectors (AVX-512): 16 floats.</summary>
    Bits512 = 512,
}
