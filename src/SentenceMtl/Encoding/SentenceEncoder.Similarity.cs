namespace SentenceMtl;

// Similarity matrices with the model's own similarity function (sentence-transformers' model.similarity).
public sealed partial class SentenceEncoder
{
    /// <summary>
    /// The similarity function the model's embeddings are meant for: its <c>config_sentence_transformers.json</c>'s
    /// <c>similarity_fn_name</c>, cosine when it names none (as sentence-transformers).
    /// </summary>
    public SimilarityFunction SimilarityFunction
    {
        get
        {
            ThrowIfDisposed();
            return SimilarityFunctions.Parse(source.SentenceTransformers.SimilarityFunctionName);
        }
    }

    /// <summary>
    /// The n × m matrix of similarities between embeddings <paramref name="first"/> (n) and <paramref name="second"/> (m)
    /// under <see cref="SimilarityFunction"/>, as sentence-transformers' <c>model.similarity(a, b)</c>; see
    /// <see cref="EmbeddingSimilarity.Compute(float[][], float[][], SentenceMtl.SimilarityFunction)"/>.
    /// </summary>
    /// <param name="first">Embeddings, e.g. of queries, all of one length.</param>
    /// <param name="second">Embeddings of the same length, e.g. of documents.</param>
    /// <returns>A new array: [i, j] is the similarity of <paramref name="first"/>[i] and <paramref name="second"/>[j].</returns>
    /// <exception cref="ArgumentException">An embedding is null or of another length (the message gives its index).</exception>
    public float[,] Similarity(float[][] first, float[][] second) =>
        EmbeddingSimilarity.Compute(first, second, SimilarityFunction);
}
