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

    private Workspace(int capacity, AlignedBuffer hidden, AlignedBuffer scratch)
    {
        Capacity = capacity;
        Hidden = hidden;
        Scratch = scratch;
    }

    /// <summary>Most tokens a pass can hold.</summary>
    public int Capacity { get; }

    /// <summary>(Capacity, H): the token states.</summary>
    public AlignedBuffer Hidden { get; }

    /// <summary>(Capacity, 4H) during attention (query, key, value, then the heads' output), (256, I) in the feed-forward block.</summary>
    public AlignedBuffer Scratch { get; }

    /// <summary>A workspace for passes of up to <paramref name="tokens"/> tokens.</summary>
    public static Workspace Create(BertConfig config, int tokens)
    {
        long h = config.HiddenSize;
        long scratch = Math.Max(tokens * 4 * h, (long)Math.Min(tokens, FeedForwardRows) * config.IntermediateSize);
        return new Workspace(tokens, new AlignedBuffer(tokens * h), new AlignedBuffer(scratch));
    }
}
