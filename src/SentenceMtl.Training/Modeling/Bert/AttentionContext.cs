using static TorchSharp.torch;

namespace SentenceMtl.Modeling.Bert;

/// <summary>
/// What every layer needs for one forward pass: the additive attention mask, built once and shared by all layers;
/// when the batch is packed, where its real tokens sit in the padded (B, T) grid.
/// </summary>
/// <remarks>
/// Packing removes padding from everything but attention: the dense layers, LayerNorms and activations see only the
/// N real tokens as (N, H); attention scatters them back into (B, T) around scaled_dot_product_attention.
/// </remarks>
internal sealed class AttentionContext
{
    /// <param name="mask">(B, 1, 1, T) additive: 0 where a key may be attended to, the most negative float elsewhere; null when no row has padding.</param>
    /// <param name="tokenIndices">(N) flat indices of real tokens in the B·T grid when packed; null when hidden states are (B, T, H).</param>
    /// <param name="batch">B.</param>
    /// <param name="length">T.</param>
    public AttentionContext(Tensor? mask, Tensor? tokenIndices, long batch, long length)
    {
        Mask = mask;
        TokenIndices = tokenIndices;
        Batch = batch;
        Length = length;
    }

    public Tensor? Mask { get; }

    public Tensor? TokenIndices { get; }

    public long Batch { get; }

    public long Length { get; }

    public bool IsPacked => TokenIndices is not null;

    /// <summary>(N, C) packed rows → (B, T, C) with zeros at padding; (B, T, C) is returned as a view.</summary>
    public Tensor Unpack(Tensor x)
    {
        if (TokenIndices is null)
        {
            return x.alias();
        }

        long c = x.shape[^1];
        return zeros(new[] { Batch * Length, c }, dtype: x.dtype, device: x.device)
            .index_copy(0, TokenIndices, x)                                                     // (B·T, C)
            .view(Batch, Length, c);                                                            // (B, T, C)
    }

    /// <summary>(B, T, C) → (N, C) real tokens when packed; unchanged (as a view) otherwise.</summary>
    public Tensor Pack(Tensor x)
    {
        if (TokenIndices is null)
        {
            return x.alias();
        }

        long c = x.shape[^1];
        return x.reshape(Batch * Length, c).index_select(0, TokenIndices);                    // (N, C)
    }
}
