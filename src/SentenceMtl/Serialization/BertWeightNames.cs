using System.Globalization;

namespace SentenceMtl.Serialization;

/// <summary>
/// The state-dict keys of Hugging Face's <c>BertModel</c> (without the <c>bert.</c> prefix that task models add),
/// and their canonical order: embeddings, then each encoder layer, then the pooler.
/// </summary>
internal static class BertWeightNames
{
    /// <summary>The prefix <c>BertFor…</c> task models put before the backbone's keys.</summary>
    public const string TaskModelPrefix = "bert.";

    private const string EmbeddingsPrefix = "embeddings.";
    private const string LayerPrefix = "encoder.layer.";
    private const string PoolerPrefix = "pooler.";

    private static readonly string[] EmbeddingKeys =
    [
        "word_embeddings.weight", "position_embeddings.weight", "token_type_embeddings.weight",
        "LayerNorm.weight", "LayerNorm.bias",
    ];

    private static readonly string[] LayerKeys =
    [
        "attention.self.query.weight", "attention.self.query.bias",
        "attention.self.key.weight", "attention.self.key.bias",
        "attention.self.value.weight", "attention.self.value.bias",
        "attention.output.dense.weight", "attention.output.dense.bias",
        "attention.output.LayerNorm.weight", "attention.output.LayerNorm.bias",
        "intermediate.dense.weight", "intermediate.dense.bias",
        "output.dense.weight", "output.dense.bias",
        "output.LayerNorm.weight", "output.LayerNorm.bias",
    ];

    private static readonly string[] PoolerKeys = ["dense.weight", "dense.bias"];

    /// <summary><paramref name="name"/> without a leading <c>bert.</c>.</summary>
    /// <param name="name">A weight name from some checkpoint.</param>
    /// <returns>The name as <c>BertModel</c> would spell it, if it is one of its keys.</returns>
    public static string StripTaskModelPrefix(string name) =>
        name.StartsWith(TaskModelPrefix, StringComparison.Ordinal) ? name[TaskModelPrefix.Length..] : name;

    /// <summary>Whether <paramref name="key"/> is a <c>BertModel</c> state-dict key.</summary>
    /// <param name="key">A name without the <c>bert.</c> prefix.</param>
    /// <returns><see langword="true"/> for keys such as <c>encoder.layer.3.output.dense.bias</c>.</returns>
    public static bool IsBertKey(string key) => TryGetPosition(key, out _);

    /// <summary>Whether <paramref name="key"/> is the weight of a <c>Linear</c> layer (stored [out, in] by PyTorch).</summary>
    /// <param name="key">A name without the <c>bert.</c> prefix.</param>
    /// <returns><see langword="true"/> for query/key/value, the dense layers and the pooler's dense weight.</returns>
    public static bool IsLinearWeight(string key) =>
        IsBertKey(key)
        && key.EndsWith(".weight", StringComparison.Ordinal)
        && !key.EndsWith("LayerNorm.weight", StringComparison.Ordinal)
        && !key.StartsWith(EmbeddingsPrefix, StringComparison.Ordinal);

    /// <summary>Where <paramref name="key"/> comes in a <c>BertModel</c> state dict.</summary>
    /// <param name="key">A name without the <c>bert.</c> prefix.</param>
    /// <param name="position">Section (0 embeddings, 1 encoder, 2 pooler), layer index, and slot within it.</param>
    /// <returns><see langword="false"/> when <paramref name="key"/> is not a <c>BertModel</c> key.</returns>
    public static bool TryGetPosition(string key, out (int Section, int Layer, int Slot) position)
    {
        position = default;
        if (key.StartsWith(EmbeddingsPrefix, StringComparison.Ordinal))
        {
            return TryFind(EmbeddingKeys, key[EmbeddingsPrefix.Length..], 0, 0, out position);
        }

        if (key.StartsWith(PoolerPrefix, StringComparison.Ordinal))
        {
            return TryFind(PoolerKeys, key[PoolerPrefix.Length..], 2, 0, out position);
        }

        if (!key.StartsWith(LayerPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        // encoder.layer.{i}.{suffix}, with i written canonically ("0", "12"; not "012" or "+1").
        ReadOnlySpan<char> rest = key.AsSpan(LayerPrefix.Length);
        int dot = rest.IndexOf('.');
        if (dot <= 0 || (dot > 1 && rest[0] == '0')
            || !int.TryParse(rest[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out int layer))
        {
            return false;
        }

        return TryFind(LayerKeys, rest[(dot + 1)..].ToString(), 1, layer, out position);
    }

    private static bool TryFind(string[] keys, string suffix, int section, int layer, out (int, int, int) position)
    {
        int slot = Array.IndexOf(keys, suffix);
        position = (section, layer, slot);
        return slot >= 0;
    }
}
