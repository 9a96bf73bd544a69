using System.Numerics.Tensors;

namespace SentenceMtl.Inference;

/// <summary>
/// Sentence vectors from packed token states, as sentence-transformers' Pooling module computes them from padded ones: the
/// engine's batches hold real tokens only, so there is no mask to apply (max pooling's −1e9 padding fill never wins
/// over a real token, and every sequence has at least its <c>[CLS]</c> token).
/// </summary>
internal static class EnginePooling
{
    /// <summary>Pools one sequence's rows into <paramref name="destination"/> (normalization is the encoder's one step,
    /// <see cref="L2Normalization"/>).</summary>
    /// <param name="tokens">The sequence's token states, rows of <paramref name="destination"/>'s length.</param>
    /// <param name="destination">The sentence vector (H values).</param>
    /// <param name="strategy">How to pool.</param>
    public static void Pool(ReadOnlySpan<float> tokens, Span<float> destination, PoolingStrategy strategy)
    {
        int h = destination.Length, count = tokens.Length / h;
        tokens[..h].CopyTo(destination);
        if (strategy is PoolingStrategy.Mean or PoolingStrategy.MeanSqrtLen or PoolingStrategy.Max)
        {
            for (int t = 1; t < count; t++)
            {
                var row = tokens.Slice(t * h, h);
                if (strategy == PoolingStrategy.Max)
                {
                    TensorPrimitives.MaxNumber(destination, row, destination);
                }
                else
                {
                    TensorPrimitives.Add(destination, row, destination);
                }
            }

            if (strategy != PoolingStrategy.Max)
            {
                float divisor = strategy == PoolingStrategy.Mean ? count : MathF.Sqrt(count);
                TensorPrimitives.Divide(destination, divisor, destination);
            }
        }
        else if (strategy != PoolingStrategy.Cls)
        {
            throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "Unknown pooling strategy.");
        }
    }
}
