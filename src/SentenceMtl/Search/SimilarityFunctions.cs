namespace SentenceMtl;

/// <summary>
/// The names sentence-transformers gives the <see cref="SimilarityFunction"/> values, as they appear in
/// <c>config_sentence_transformers.json</c> (<c>"similarity_fn_name"</c>).
/// </summary>
public static class SimilarityFunctions
{
    private static readonly (string Name, SimilarityFunction Function)[] Names =
    [
        ("cosine", SimilarityFunction.Cosine),
        ("dot", SimilarityFunction.DotProduct),
        ("euclidean", SimilarityFunction.Euclidean),
        ("manhattan", SimilarityFunction.Manhattan),
    ];

    /// <summary>The function sentence-transformers calls <paramref name="name"/>: "cosine", "dot", "euclidean" or "manhattan" (exact, lower case, as sentence-transformers requires).</summary>
    /// <param name="name">The name, e.g. the value of <c>similarity_fn_name</c>.</param>
    /// <returns>The function.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not one of the four names; the message lists them.</exception>
    public static SimilarityFunction Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var (known, function) in Names)
        {
            if (string.Equals(name, known, StringComparison.Ordinal))
            {
                return function;
            }
        }

        throw new ArgumentException(
            $"Unknown similarity function \"{ErrorText.Shorten(name)}\": use one of {ErrorText.List(Names.Select(n => n.Name), quoted: true)} (sentence-transformers' names).",
            nameof(name));
    }

    /// <summary>The sentence-transformers name of <paramref name="function"/> ("cosine", "dot", "euclidean", "manhattan").</summary>
    /// <param name="function">A defined value.</param>
    /// <returns>The name <see cref="Parse"/> reads back.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="function"/> is not a defined value.</exception>
    public static string GetName(SimilarityFunction function)
    {
        foreach (var (name, known) in Names)
        {
            if (known == function)
            {
                return name;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(function), function, "Not a SimilarityFunction value.");
    }
}
