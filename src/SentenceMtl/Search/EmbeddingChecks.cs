using System.Numerics.Tensors;

namespace SentenceMtl.Search;

/// <summary>
/// Argument checks shared by the search and similarity entry points: every row present, one dimension for all,
/// finite values. Messages name the argument and the first offending row.
/// </summary>
internal static class EmbeddingChecks
{
    /// <summary>The common dimension of <paramref name="rows"/>, or 0 when there are no rows.</summary>
    /// <exception cref="ArgumentNullException">The array is null.</exception>
    /// <exception cref="ArgumentException">A row is null, empty, of another length than row 0, or not finite.</exception>
    public static int Dimension(float[][] rows, string name)
    {
        ArgumentNullException.ThrowIfNull(rows, name);
        int dimension = rows.Length == 0 ? 0 : RowLength(rows[0], 0, name);
        for (int i = 0; i < rows.Length; i++)
        {
            if (RowLength(rows[i], i, name) != dimension)
            {
                throw new ArgumentException(
                    $"{name}[{i}] has {rows[i].Length} values but {name}[0] has {dimension}: all embeddings must have the same dimension (made by one model, with one TruncateDimension).",
                    name);
            }

            if (!TensorPrimitives.IsFiniteAll<float>(rows[i]))
            {
                throw new ArgumentException($"{name}[{i}] holds NaN or infinity: embeddings must be finite.", name);
            }
        }

        return dimension;
    }

    /// <summary>The common dimension of two sets, which must agree when both are non-empty.</summary>
    public static int Dimension(float[][] a, string aName, float[][] b, string bName)
    {
        int da = Dimension(a, aName), db = Dimension(b, bName);
        if (da != 0 && db != 0 && da != db)
        {
            throw new ArgumentException(
                $"{aName} have {da} dimensions but {bName} have {db}: compare embeddings of one model (and one TruncateDimension).",
                bName);
        }

        return Math.Max(da, db);
    }

    /// <summary>The length of byte or sbyte rows, which must all equal <paramref name="expected"/>.</summary>
    public static void Lengths<T>(T[][] rows, int expected, string name, string what)
    {
        ArgumentNullException.ThrowIfNull(rows, name);
        for (int i = 0; i < rows.Length; i++)
        {
            if (rows[i] is null)
            {
                throw new ArgumentException($"{name}[{i}] is null.", name);
            }

            if (rows[i].Length != expected)
            {
                throw new ArgumentException($"{name}[{i}] has {rows[i].Length} values but {expected} were expected ({what}).", name);
            }
        }
    }

    /// <summary>Checks <paramref name="topK"/> is at least 1.</summary>
    public static void TopK(int topK, string name) => ArgumentOutOfRangeException.ThrowIfNegativeOrZero(topK, name);

    /// <summary>Checks <paramref name="function"/> is a defined value.</summary>
    public static void Function(SimilarityFunction function, string name)
    {
        if (!Enum.IsDefined(function))
        {
            throw new ArgumentOutOfRangeException(name, function, "Not a SimilarityFunction value: use Cosine, DotProduct, Euclidean or Manhattan.");
        }
    }

    private static int RowLength(float[] row, int index, string name)
    {
        if (row is null)
        {
            throw new ArgumentException($"{name}[{index}] is null.", name);
        }

        if (row.Length == 0)
        {
            throw new ArgumentException($"{name}[{index}] has no values: an embedding needs at least one dimension.", name);
        }

        return row.Length;
    }
}
