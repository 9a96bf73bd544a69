using SentenceMtl.Modeling.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SentenceMtl.Modeling.Bert;

/// <summary>
/// The working memory of one inference pass through SentenceMtl's CPU kernels: the token states, packed without padding
/// (N, H) and updated in place by every layer, and one scratch tensor holding the fused projection (N, 3·H) and the
/// attention output (N, H), or, once those are used up, the intermediate activations of up to
/// <see cref="FeedForwardRows"/> tokens. A pass allocates these once instead of a dozen temporaries per layer.
/// </summary>
/// <remarks>
/// The feed-forward sub-block treats every token on its own, so it runs over blocks of rows and its (rows, I)
/// activations never exist for the whole batch: for a batch of long texts that is the largest tensor of a layer.
/// </remarks>
internal sealed unsafe class InferenceBuffers
{
    /// <summary>Tokens per feed-forward block: enough rows to keep the kernel's weight reads cheap.</summary>
    public const int FeedForwardRows = 256;

    private readonly Tensor scratch;
    private Tensor hidden;

    /// <param name="weights">The model's packed weights.</param>
    /// <param name="hidden">(N, H) or (B, T, H) without padding: contiguous float32 token states, updated in place.</param>
    /// <param name="lengths">Tokens per sequence, in row order; they add up to N.</param>
    /// <param name="config">The model's configuration.</param>
    /// <remarks>The scratch tensor joins the caller's dispose scope.</remarks>
    public InferenceBuffers(PrepackedWeights weights, Tensor hidden, int[] lengths, BertConfig config)
    {
        Weights = weights;
        Lengths = lengths;
        Width = config.HiddenSize;
        Rows = hidden.numel() / Width;
        scratch = empty(Math.Max(Rows * 4L * Width, Math.Min(Rows, FeedForwardRows) * config.IntermediateSize));
        this.hidden = hidden;
        Bind(hidden);
        Qkv = TensorMemory.Pointer(scratch);
        Attended = Qkv + (Rows * 3 * Width);
        Intermediate = Qkv;                                                                     // after attention: the same memory
    }

    /// <summary>The model's packed weights.</summary>
    public PrepackedWeights Weights { get; }

    /// <summary>Tokens per sequence, in row order.</summary>
    public int[] Lengths { get; }

    /// <summary>N: real tokens in the batch.</summary>
    public long Rows { get; }

    /// <summary>H: values per token state.</summary>
    public int Width { get; }

    /// <summary>The token states, N rows of H.</summary>
    public Tensor Hidden => hidden;

    /// <summary>Where <see cref="Hidden"/>'s values are.</summary>
    public float* HiddenValues { get; private set; }

    /// <summary>The fused query/key/value projection, N rows of 3·H.</summary>
    public float* Qkv { get; }

    /// <summary>The attention output with its heads merged, N rows of H.</summary>
    public float* Attended { get; }

    /// <summary>The intermediate (feed-forward) activations of one block of up to <see cref="FeedForwardRows"/> tokens, rows of I
    /// (the memory of <see cref="Qkv"/>, free once attention is done).</summary>
    public float* Intermediate { get; }

    /// <summary>Makes <paramref name="states"/> the token states (after a layer computed with libtorch replaced them).</summary>
    public void Bind(Tensor states)
    {
        if (!states.is_contiguous() || states.dtype != ScalarType.Float32 || states.numel() != Rows * Width)
        {
            throw new InvalidOperationException($"The kernels need contiguous float32 token states of {Rows} × {Width} values.");
        }

        hidden = states;
        HiddenValues = TensorMemory.Pointer(states);
    }

    /// <summary>The residual step of a BERT sub-block on token states [first, first + rows): states = LayerNorm(states + input·Wᵀ + b).</summary>
    /// <param name="dense">The packed dense layer.</param>
    /// <param name="input">Its input, <paramref name="rows"/> rows.</param>
    /// <param name="first">The first token state to update.</param>
    /// <param name="rows">How many.</param>
    /// <param name="norm">The sub-block's layer norm.</param>
    /// <param name="eps">The norm's epsilon.</param>
    public void AddAndNormalize(PrepackedLinear dense, float* input, long first, long rows, LayerNorm norm, double eps)
    {
        float* states = HiddenValues + (first * Width);
        dense.Multiply(input, rows, states, LinearEpilogue.AddToOutput);
        RowLayerNorm.Apply(states, rows, Width, TensorMemory.Pointer(norm.weight!), TensorMemory.Pointer(norm.bias!), (float)eps);
    }

    /// <summary>Whether the kernels can apply <paramref name="norm"/>: affine, float32, contiguous, H values.</summary>
    public bool Suits(LayerNorm norm) => Suits(norm.weight) && Suits(norm.bias);

    private bool Suits(Tensor? parameter) =>
        parameter is not null && parameter.dtype == ScalarType.Float32 && parameter.device_type == DeviceType.CPU
        && parameter.is_contiguous() && parameter.numel() == Width;

    /// <summary>The packed copy that <see cref="PrepackedWeights.TryGet(Linear)"/> returned while the layer was checked.</summary>
    public PrepackedLinear Packed(Linear layer) =>
        Weights.TryGet(layer) ?? throw new InvalidOperationException("A packed weight was released during an inference pass.");
}
