using static TorchSharp.torch;

namespace SentenceMtl.Modeling.Bert;

/// <summary>One transformer layer: attention block, then feed-forward block.</summary>
internal sealed class BertLayer : nn.Module<Tensor, AttentionContext, Tensor>
{
    private readonly BertAttention attention;
    private readonly BertIntermediate intermediate;
    private readonly BertOutput output;

    public BertLayer(BertConfig config) : base(nameof(BertLayer))
    {
        attention = new BertAttention(config);
        intermediate = new BertIntermediate(config);
        output = new BertOutput(config);
        RegisterComponents();
    }

    /// <param name="x">(B, T, H), or (N, H) when packed.</param>
    /// <param name="context">The shared attention mask and token layout.</param>
    public override Tensor forward(Tensor x, AttentionContext context)
    {
        using var a = attention.forward(x, context);                                    // (B, T, H)
        using var i = intermediate.forward(a);                                                  // (B, T, I)
        return output.forward(i, a);                                                            // (B, T, H)
    }

    /// <summary>
    /// Kernel inference on the buffers' states in place, when every sub-block can (frozen, kernel-friendly); false, with
    /// nothing changed, when the layer must run with libtorch.
    /// </summary>
    internal bool TryInfer(InferenceBuffers buffers)
    {
        if (!(attention.CanInfer(buffers) & intermediate.CanInfer(buffers) & output.CanInfer(buffers)))
        {
            return false;
        }

        attention.Infer(buffers);
        for (long first = 0; first < buffers.Rows; first += InferenceBuffers.FeedForwardRows)   // feed-forward, a block of tokens at a time
        {
            long rows = Math.Min(InferenceBuffers.FeedForwardRows, buffers.Rows - first);
            intermediate.Infer(buffers, first, rows);
            output.Infer(buffers, first, rows);
        }

        return true;
    }
}
