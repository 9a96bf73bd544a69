using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SentenceMtl.Modeling.Bert;

/// <summary>
/// Multi-head scaled dot-product self-attention. The three projections keep Hugging Face's names
/// (<c>query</c>, <c>key</c>, <c>value</c>) but run as one fused (H → 3H) matrix product: their weights and biases are
/// views into one (3H, H) matrix and one (3H) vector, which inference uses as they are; when gradients must reach the
/// three parameters (or they were replaced, e.g. by moving the module), the fused operands are concatenated per call.
/// Attention is libtorch's <c>scaled_dot_product_attention</c> (with attention dropout in training).
/// </summary>
internal sealed class BertSelfAttention : nn.Module<Tensor, AttentionContext, Tensor>
{
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly FusedProjection qkv;
    private readonly int nh;
    private readonly double attention_dropout;

    public BertSelfAttention(BertConfig config) : base(nameof(BertSelfAttention))
    {
        query = nn.Linear(config.HiddenSize, config.HiddenSize);
        key = nn.Linear(config.HiddenSize, config.HiddenSize);
        value = nn.Linear(config.HiddenSize, config.HiddenSize);
        qkv = new FusedProjection([query, key, value]);
        nh = config.NumAttentionHeads;
        attention_dropout = config.AttentionProbsDropoutProb;
        RegisterComponents();
    }

    /// <summary>Whether the next inference call uses the fused weight in place (no per-call concatenation).</summary>
    internal bool UsesFusedWeights => qkv.IsCurrent;

    /// <param name="x">(B, T, H) hidden states, or (N, H) when packed.</param>
    /// <param name="context">The shared mask and token layout.</param>
    /// <returns>Context vectors in the same layout as <paramref name="x"/>.</returns>
    public override Tensor forward(Tensor x, AttentionContext context)
    {
        using var scope = NewDisposeScope();
        long B = context.Batch, T = context.Length, H = x.shape[^1], hs = H / nh;
        var (w, b) = qkv.Operands();                                                            // (3H, H), (3H)
        var fused = context.Unpack(nn.functional.linear(x, w, b));                              // (B, T, 3H)
        var heads = fused.view(B, T, 3, nh, hs).permute(2, 0, 3, 1, 4);                        // (3, B, nh, T, hs)
        var y = nn.functional.scaled_dot_product_attention(
            heads[0], heads[1], heads[2], context.Mask, p: training ? attention_dropout : 0.0);  // (B, nh, T, hs)
        var merged = y.transpose(1, 2).reshape(B, T, H);                                        // (B, T, H)
        return context.Pack(merged).MoveToOuterDisposeScope();                                  // layout of x
    }

    /// <summary>One storage for several linear layers' weights and biases, stacked along the output dimension.</summary>
    private sealed class FusedProjection
    {
        private readonly Linear[] layers;
        private readonly Parameter[] weights;
        private readonly Parameter[] biases;
        private readonly Tensor wholeWeight;
        private readonly Tensor wholeBias;

        /// <summary>Moves the layers' current values into one (ΣO, I) matrix and one (ΣO) vector and makes their parameters views of them.</summary>
        public FusedProjection(Linear[] layers)
        {
            this.layers = layers;
            Tensor weight, bias;
            using (no_grad())
            {
                weight = cat(layers.Select(l => (Tensor)l.weight!).ToArray());                 // (ΣO, I)
                bias = cat(layers.Select(l => (Tensor)l.bias!).ToArray());                     // (ΣO)
            }

            weights = new Parameter[layers.Length];
            biases = new Parameter[layers.Length];
            long offset = 0;
            for (int i = 0; i < layers.Length; i++)
            {
                long rows = layers[i].weight!.shape[0];
                var (oldWeight, oldBias) = (layers[i].weight!, layers[i].bias!);
                layers[i].weight = weights[i] = new Parameter(weight.narrow(0, offset, rows));
                layers[i].bias = biases[i] = new Parameter(bias.narrow(0, offset, rows));
                oldWeight.Dispose();
                oldBias.Dispose();
                offset += rows;
            }

            wholeWeight = Whole(weights[0], weight.shape);
            wholeBias = Whole(biases[0], bias.shape);
            weight.Dispose();                                                                   // the views keep the storage alive
            bias.Dispose();
        }

        /// <summary>The whole stacked tensor, seen through the view of its first block (the storage they all share).</summary>
        private static Tensor Whole(Tensor first, long[] shape)
        {
            using var data = first.detach();
            return data.as_strided(shape, shape.Length == 2 ? [shape[1], 1] : [1], first.storage_offset()).DetachFromDisposeScope();
        }

        /// <summary>Whether the layers still hold the views (nothing replaced their parameters).</summary>
        public bool IsCurrent
        {
            get
            {
                for (int i = 0; i < layers.Length; i++)
                {
                    if (!ReferenceEquals(layers[i].weight, weights[i]) || !ReferenceEquals(layers[i].bias, biases[i]))
                    {
                        return false;
                    }
                }

                return true;
            }
        }

        /// <summary>
        /// The stacked weight and bias: the shared storage when no gradient is needed (the same two tensor objects every
        /// call), else a differentiable concatenation.
        /// </summary>
        public (Tensor Weight, Tensor Bias) Operands()
        {
            bool needsGraph = is_grad_enabled() && layers.Any(l => l.weight!.requires_grad || l.bias!.requires_grad);
            return !needsGraph && IsCurrent
                ? (wholeWeight, wholeBias)
                : (cat(layers.Select(l => (Tensor)l.weight!).ToArray()), cat(layers.Select(l => (Tensor)l.bias!).ToArray()));
        }
    }
}
