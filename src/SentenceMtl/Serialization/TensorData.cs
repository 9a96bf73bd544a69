using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace SentenceMtl.Serialization;

/// <summary>
/// One named tensor as it is stored in a weight file: element type, shape and the raw little-endian,
/// row-major bytes. Pure data, no TorchSharp: readers and importers produce it, the model loader consumes it.
/// </summary>
internal sealed class TensorData
{
    /// <summary>
    /// Creates a tensor over <paramref name="bytes"/>, which it takes over without copying.
    /// </summary>
    /// <param name="name">The state-dict key, e.g. <c>encoder.layer.0.output.dense.weight</c>.</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="shape">The dimensions, outermost first; empty for a scalar. Copied.</param>
    /// <param name="bytes">Exactly product(<paramref name="shape"/>) × element size bytes.</param>
    /// <exception cref="ArgumentException">A dimension is negative or the byte count does not match the shape.</exception>
    public TensorData(string name, TensorDType dtype, long[] shape, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(bytes);
        if (!Enum.IsDefined(dtype))
        {
            throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown tensor dtype.");
        }

        long? expected = TryByteLength(dtype, shape);
        if (expected is null)
        {
            throw new ArgumentException(
                $"Tensor '{name}': shape [{string.Join(", ", shape)}] has a negative dimension or is too large.", nameof(shape));
        }

        if (expected.Value != bytes.Length)
        {
            throw new ArgumentException(
                $"Tensor '{name}': shape [{string.Join(", ", shape)}] of {dtype} needs {expected.Value} bytes, got {bytes.Length}.",
                nameof(bytes));
        }

        Name = name;
        DType = dtype;
        Shape = (long[])shape.Clone();
        Bytes = bytes;
    }

    /// <summary>The state-dict key.</summary>
    public string Name { get; }

    /// <summary>The element type.</summary>
    public TensorDType DType { get; }

    /// <summary>The dimensions, outermost first; empty for a scalar.</summary>
    public long[] Shape { get; }

    /// <summary>The elements as little-endian, row-major bytes.</summary>
    public byte[] Bytes { get; }

    /// <summary>The number of elements: the product of <see cref="Shape"/> (1 for a scalar).</summary>
    public long ElementCount => Bytes.Length / ElementSize(DType);

    /// <summary>Creates an <see cref="TensorDType.F32"/> tensor from <paramref name="values"/>.</summary>
    /// <param name="name">The state-dict key.</param>
    /// <param name="shape">The dimensions; their product must equal <c>values.Length</c>.</param>
    /// <param name="values">The elements in row-major order.</param>
    /// <returns>A tensor holding a little-endian copy of <paramref name="values"/>.</returns>
    public static TensorData FromFloats(string name, long[] shape, float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var bytes = new byte[checked(values.Length * sizeof(float))];
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(bytes);
        }
        else
        {
            for (int i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
            }
        }

        return new TensorData(name, TensorDType.F32, shape, bytes);
    }

    /// <summary>
    /// The elements as <see cref="float"/>s: F32 copied, F16, BF16 and F64 converted (F64 rounds to nearest).
    /// </summary>
    /// <returns>A new array of <see cref="ElementCount"/> values.</returns>
    /// <exception cref="InvalidOperationException">The dtype is not a floating-point type.</exception>
    public float[] ToFloats()
    {
        ReadOnlySpan<byte> source = Bytes;
        var values = new float[ElementCount];
        switch (DType)
        {
            case TensorDType.F32 when BitConverter.IsLittleEndian:
                source.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
                break;
            case TensorDType.F32:
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = BinaryPrimitives.ReadSingleLittleEndian(source[(i * 4)..]);
                }

                break;
            case TensorDType.F16:
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(source[(i * 2)..]);
                }

                break;
            case TensorDType.BF16:
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source[(i * 2)..]) << 16);
                }

                break;
            case TensorDType.F64:
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(source[(i * 8)..]);
                }

                break;
            default:
                throw new InvalidOperationException($"Tensor '{Name}' is {DType}, not a floating-point type.");
        }

        return values;
    }

    /// <summary>The size in bytes of one element of <paramref name="dtype"/>.</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns>1, 2, 4 or 8.</returns>
    public static int ElementSize(TensorDType dtype) => dtype switch
    {
        TensorDType.F64 or TensorDType.I64 => 8,
        TensorDType.F32 or TensorDType.I32 => 4,
        TensorDType.F16 or TensorDType.BF16 or TensorDType.I16 => 2,
        TensorDType.I8 or TensorDType.U8 or TensorDType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown tensor dtype."),
    };

    /// <summary>
    /// product(<paramref name="shape"/>) × element size, or <see langword="null"/> when a dimension is
    /// negative or the product overflows a <see cref="long"/>.
    /// </summary>
    /// <param name="dtype">The element type.</param>
    /// <param name="shape">The dimensions.</param>
    /// <returns>The byte length, or <see langword="null"/>.</returns>
    internal static long? TryByteLength(TensorDType dtype, IReadOnlyList<long> shape)
    {
        // Zero dimensions make the product 0, but the other dimensions must still multiply without
        // overflow: a header claiming [0, 2^62, 2^62] is broken, not empty (whatever the order).
        long product = ElementSize(dtype);
        bool hasZero = false;
        foreach (long dim in shape)
        {
            if (dim < 0)
            {
                return null;
            }

            if (dim == 0)
            {
                hasZero = true;
            }
            else if (product > long.MaxValue / dim)
            {
                return null;
            }
            else
            {
                product *= dim;
            }
        }

        return hasZero ? 0 : product;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {DType} [{string.Join(", ", Shape)}]";
}
