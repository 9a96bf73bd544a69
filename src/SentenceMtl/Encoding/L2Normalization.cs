using System.Numerics.Tensors;
using SentenceMtl.Search;

namespace SentenceMtl;

/// <summary>The one L2 normalization of embeddings: encoding, Matryoshka truncation and the server all call it.</summary>
internal static class L2Normalization
{
    /// <summary>The smallest norm divided by, as <c>torch.nn.functional.normalize</c>'s eps: a zero vector stays zero.</summary>
    public const float MinNorm = 1e-12f;

    /// <summary>Divides <paramref name="vector"/> by its L2 norm, in place. The norm is summed in
    /// <see cref="ScoreKernel.Dot"/>'s fixed order, so the same values give the same bits wherever the array lies in
    /// memory (TensorPrimitives' own reductions align to the address).</summary>
    public static void Normalize(float[] vector) =>
        TensorPrimitives.Divide(vector, MathF.Max(ScoreKernel.Norm(vector), MinNorm), vector);
}
