namespace SentenceMtl.Serialization;

/// <summary>
/// Element types a stored tensor can have. The names follow safetensors' dtype strings
/// (<c>F32</c>, <c>BF16</c>, … and <c>BOOL</c> for <see cref="Bool"/>).
/// </summary>
internal enum TensorDType
{
    /// <summary>IEEE 754 double, 8 bytes.</summary>
    F64,

    /// <summary>IEEE 754 single, 4 bytes.</summary>
    F32,

    /// <summary>IEEE 754 half, 2 bytes.</summary>
    F16,

    /// <summary>bfloat16 (the top half of an F32), 2 bytes.</summary>
    BF16,

    /// <summary>Signed 64-bit integer.</summary>
    I64,

    /// <summary>Signed 32-bit integer.</summary>
    I32,

    /// <summary>Signed 16-bit integer.</summary>
    I16,

    /// <summary>Signed 8-bit integer.</summary>
    I8,

    /// <summary>Unsigned 8-bit integer.</summary>
    U8,

    /// <summary>Boolean, one byte per element (0 or 1).</summary>
    Bool,
}
