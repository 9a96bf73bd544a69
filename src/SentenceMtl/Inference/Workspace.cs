using SentenceMtl.Inference.Kernels;
using SentenceMtl.Modeling.Bert;

namespace SentenceMtl.Inference;

/// <summary>
/// The activations of one forward pass over a batch of packed tokens: the token states, updated in place layer by
/// layer, and one scratch block that holds the fused query/key/value rows and the attention output, and afterwards
/// (the same memory) the feed-forward block's intermediate rows.
/// </summary>
/// <remarks>Reused from pass to pass by its session (one per pass in flight), grown when a batch has more tokens.</remarks>
internal sealed class Workspace
{
    /// <summary>Tokens per feed-forward block: the intermediate rows of that many tokens stay in cache between the two products.</summary>
    public const int FeedForwardRows = 256;

    private Workspace(int capacity, AlignedBuffer hidden, AlignedBuffer scratch, AlignedBuffer? quantizedRows, AlignedBuffer? rowScales)
    {
        Capacity = capacity;
        Hidden = hidden;
        Scratch = scratch;
        QuantizedRows = quantizedRows;
        RowScales = rowScales;
    }

    /// <summary>Most tokens a pass can hold.</summary>
    public int Capacity { get; }

    /// <summary>(Capacity, H): the token states.</summary>
    public AlignedBuffer Hidden { get; }

    /// <summary>(Capacity, 4H) during attention (query, key, value, then the heads' output), (256, I) in the feed-forward block.</summary>
    public AlignedBuffer Scratch { get; }

    /// <summary>For an int8 engine: the input of the linear layer running now, quantized (bytes, K rounded up to a
    /// multiple of 4 per row), (Capacity, H') or (256, I'); null for a float32 engine.</summary>
    public AlignedBuffer? QuantizedRows { get; }

    /// <summary>For an int8 engine: the scale of each row of <see cref="QuantizedRows"/>; null for a float32 engine.</summary>
    public AlignedBuffer? RowScales { get; }

    /// <summary>A workspace for passes of up to <paramref name="tokens"/> tokens, with the int8 buffers when <paramref name="int8"/>.</summary>
    public static Workspace Create(BertConfig config, int tokens, bool int8)
    {
        long h = config.HiddenSize;
        long scratch = Math.Max(tokens * 4 * h, (long)Math.Min(tokens, FeedForwardRows) * config.IntermediateSize);
        long bytes = Math.Max(tokens * (h + 3), (long)Math.Min(tokens, FeedForwardRows) * (config.IntermediateSize + 3));
        return new Workspace(tokens, new AlignedBuffer(tokens * h), new AlignedBuffer(scratch),
            int8 ? new AlignedBuffer((bytes + 3) / 4) : null, int8 ? new AlignedBuffer(tokens) : null);
    }
}
