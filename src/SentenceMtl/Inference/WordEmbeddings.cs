using System.Numerics.Tensors;
using SentenceMtl.Inference.Kernels;

namespace SentenceMtl.Inference;

/// <summary>
/// The word-embedding table (<c>embeddings.word_embeddings.weight</c>, one row of H per token id): float32, or int8
/// with one scale per row (<see cref="SymmetricQuantization"/>), dequantized row by row as tokens are looked up. It is
/// the largest weight of a small BERT (30,522 × 384 floats, 47 MB, in all-MiniLM-L6-v2), so an int8 engine that kept
/// it in float32 would still hold more than half of the float32 engine's weights.
/// </summary>
internal sealed unsafe class WordEmbeddings
{
    private readonly AlignedBuffer values;                                                      // (V, H) floats, or (V, H) bytes
    private readonly float[]? scales;
    private readonly int dimension;

    private WordEmbeddings(AlignedBuffer values, float[]? scales, int dimension)
    {
        this.values = values;
        this.scales = scales;
        this.dimension = dimension;
    }

    /// <summary>Bytes held.</summary>
    public long Bytes => ((long)values.Length * sizeof(float)) + ((scales?.Length ?? 0) * sizeof(float));

    /// <summary>Reads a (<paramref name="rows"/>, <paramref name="dimension"/>) table through <paramref name="fill"/>:
    /// straight into the engine's buffer for float32, or into a temporary table that is quantized when <paramref name="int8"/>.</summary>
    /// <exception cref="ArgumentException">With <paramref name="int8"/>, a row holds NaN or an infinity.</exception>
    public static WordEmbeddings Create(int rows, int dimension, bool int8, Action<Span<float>> fill)
    {
        long count = (long)rows * dimension;
        if (!int8)
        {
            var table = new AlignedBuffer(count);
            fill(table.Span);
            return new WordEmbeddings(table, null, dimension);
        }

        var floats = new float[count];
        fill(floats);
        var quantized = new AlignedBuffer((count + 3) / 4);
        var scales = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            var target = new Span<sbyte>((sbyte*)quantized.Pointer + ((long)r * dimension), dimension);
            scales[r] = SymmetricQuantization.Quantize(floats.AsSpan(r * dimension, dimension), target, levels: 127)
                ?? throw new ArgumentException($"Word embedding {r} is not all finite; int8 needs finite weights.", nameof(fill));
        }

        return new WordEmbeddings(quantized, scales, dimension);
    }

    /// <summary>Writes token <paramref name="id"/>'s row (dequantized: q · scale) into <paramref name="destination"/>.</summary>
    public void Row(int id, Span<float> destination)
    {
        if (scales is null)
        {
            new ReadOnlySpan<float>(values.Pointer + ((long)id * dimension), dimension).CopyTo(destination);
            return;
        }

        var quantized = new ReadOnlySpan<sbyte>((sbyte*)values.Pointer + ((long)id * dimension), dimension);
        TensorPrimitives.ConvertTruncating(quantized, destination);                              // exact: every int8 is a float
        TensorPrimitives.Multiply(destination, scales[id], destination);
    }
}
