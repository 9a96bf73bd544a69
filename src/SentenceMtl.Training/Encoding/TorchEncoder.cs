using SentenceMtl.Checkpoints;
using SentenceMtl.Inference;
using SentenceMtl.Modeling.Bert;
using SentenceMtl.Native;
using SentenceMtl.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace SentenceMtl;

/// <summary>
/// A core <see cref="SentenceEncoder"/>'s backbone as a trainable TorchSharp module, with the encoder's tokenizer,
/// pooling and normalization: what training embeds through (backbone → pooling → optional normalization, in the
/// caller's autograd mode), and where the trained weights are read back from.
/// </summary>
internal sealed class TorchEncoder : IDisposable
{
    private readonly SentenceEncoder encoder;

    private TorchEncoder(SentenceEncoder encoder, BertModel backbone, Device device)
    {
        this.encoder = encoder;
        Backbone = backbone;
        Device = device;
    }

    /// <summary>The TorchSharp backbone, on <see cref="Device"/>.</summary>
    public BertModel Backbone { get; }

    /// <summary>The device training runs on.</summary>
    public Device Device { get; }

    /// <summary>Length of every embedding.</summary>
    public int Dimension => encoder.Dimension;

    /// <summary>Most padded token positions (B·T) in one forward pass when embedding for a cache.</summary>
    internal int MaxBatchTokens { get; set; } = InferenceEngine.MaxBatchTokens;

    /// <summary>Reads <paramref name="encoder"/>'s weights into a new TorchSharp backbone on <paramref name="device"/>,
    /// frozen and in evaluation mode (a strategy unfreezes what it trains).</summary>
    /// <exception cref="PlatformNotSupportedException">libtorch does not exist for this platform (the message names it).</exception>
    public static TorchEncoder Create(SentenceEncoder encoder, Device device)
    {
        TorchSharpNative.EnsureLoadable();
        var result = OnOwnThread(() => Build(encoder, device));
        // Building went through two managed copies of every weight (≈ 180 MB for all-MiniLM-L6-v2, garbage on the
        // large-object heap until a full collection) and native copies freed into the C heap: give both back before
        // training allocates its own (peak RSS of the demo recipe, docs/performance.md). An aggressive collection also
        // returns the freed regions to the operating system: a default one kept them (RSS after it 592 MB against 353).
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        NativeHeap.ReturnFreeMemory();
        return result;
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a new thread and returns its result, or rethrows its exception with its stack.
    /// Modules are built there because a caller's dispose scope would take the new parameters and free them when it
    /// ends, and its inference mode would make them inference tensors: both are per thread.
    /// </summary>
    internal static T OnOwnThread<T>(Func<T> work)
    {
        T? result = default;
        System.Runtime.ExceptionServices.ExceptionDispatchInfo? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = work();
            }
            catch (Exception e)
            {
                error = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);
            }
        })
        { Name = "SentenceMtl module build" };
        thread.Start();
        thread.Join();
        error?.Throw();
        return result!;
    }

    private static TorchEncoder Build(SentenceEncoder encoder, Device device)
    {
        var weights = encoder.ReadWeights().ToDictionary(t => t.Name, StringComparer.Ordinal);
        var tensors = weights.ToDictionary(kv => kv.Key, kv => TensorConversion.ToTorch(kv.Value), StringComparer.Ordinal);
        BertModel? backbone = null;
        try
        {
            backbone = new BertModel(encoder.Config, addPoolingLayer: weights.Keys.Any(k => k.StartsWith("pooler.", StringComparison.Ordinal)));
            StateDictLoader.Load(backbone, tensors, encoder.ModelId);
            backbone.eval();
            backbone.to(device);
            foreach (var parameter in backbone.parameters())
            {
                parameter.requires_grad = false;
            }

            var result = new TorchEncoder(encoder, backbone, device);
            backbone = null;
            return result;
        }
        finally
        {
            backbone?.Dispose();
            foreach (var t in tensors.Values)
            {
                t.Dispose();
            }
        }
    }

    /// <summary>The backbone's current weights as float32 tensors under their Hugging Face names.</summary>
    public List<TensorData> ReadWeights() => [.. Backbone.state_dict().Select(kv => TensorConversion.ToData(kv.Key, kv.Value))];

    /// <summary>Token ids of each sentence, as the core encoder tokenizes them.</summary>
    public int[][] TokenizeAll(IReadOnlyList<string> sentences) => encoder.TokenizeAll(sentences);

    /// <summary>The id <see cref="Collate"/> pads with by default: the tokenizer's padding id.</summary>
    public int PadTokenId => encoder.Tokenizer.PadTokenId;

    /// <summary>Pads token id rows into (B, T) int64 ids and mask tensors on <see cref="Device"/>, T = longest row.</summary>
    /// <param name="rows">Token ids per sentence.</param>
    /// <param name="padId">The id of padded positions (default <see cref="PadTokenId"/>; another when the ids were remapped).</param>
    public (Tensor InputIds, Tensor AttentionMask) Collate(IReadOnlyList<int[]> rows, long? padId = null)
    {
        int b = rows.Count, t = rows.Max(r => r.Length);
        var ids = new long[b * t];
        var mask = new long[b * t];
        long pad = padId ?? PadTokenId;
        if (pad != 0)
        {
            Array.Fill(ids, pad);
        }

        for (int i = 0; i < b; i++)
        {
            var row = rows[i];
            for (int j = 0; j < row.Length; j++)
            {
                ids[(i * t) + j] = row[j];
                mask[(i * t) + j] = 1;
            }
        }

        return (tensor(ids, new long[] { b, t }, device: Device), tensor(mask, new long[] { b, t }, device: Device));
    }

    /// <summary>Backbone → pooling → optional normalization for one padded batch, in the caller's autograd mode.</summary>
    /// <returns>(B, H) sentence embeddings.</returns>
    public Tensor Embed(Tensor inputIds, Tensor attentionMask)
    {
        using var tokens = Backbone.forward(inputIds, attentionMask);                            // (B, T, H)
        return PoolAndNormalize(tokens, attentionMask);
    }

    /// <summary>
    /// Layers <paramref name="firstLayer"/> and up → pooling → optional normalization, from the input of layer
    /// <paramref name="firstLayer"/> (<see cref="BertModel.forward_lower"/>'s output), in the caller's autograd mode.
    /// </summary>
    /// <param name="hiddenStates">(B, T, H).</param>
    /// <param name="attentionMask">(B, T).</param>
    /// <param name="firstLayer">The first layer to run.</param>
    /// <returns>(B, H) sentence embeddings.</returns>
    public Tensor EmbedFromLayer(Tensor hiddenStates, Tensor attentionMask, int firstLayer)
    {
        using var tokens = Backbone.forward_upper(hiddenStates, attentionMask, firstLayer);      // (B, T, H)
        return PoolAndNormalize(tokens, attentionMask);
    }

    private Tensor PoolAndNormalize(Tensor tokens, Tensor attentionMask)
    {
        var pooled = Pooling.Pool(tokens, attentionMask, encoder.Pooling);                       // (B, H)
        if (!encoder.Normalize)
        {
            return pooled;
        }

        using (pooled)
        {
            return Pooling.Normalize(pooled);                                                    // (B, H)
        }
    }

    /// <summary>
    /// Embeds sentences into one (N, H) tensor on <see cref="Device"/>, in input order, on libtorch without gradients:
    /// its values do not depend on the CPU's vector width, so a seed gives the same weights on every CPU.
    /// </summary>
    public Tensor EncodeToTensor(IReadOnlyList<string> sentences, CancellationToken cancellationToken)
    {
        var ids = TokenizeAll(sentences);
        var output = zeros(new long[] { ids.Length, Dimension }, dtype: float32, device: Device);
        try
        {
            using var inference = inference_mode();
            foreach (var batch in InferenceEngine.Batches(ids, encoder.BatchSize, MaxBatchTokens))
            {
                cancellationToken.ThrowIfCancellationRequested();
                using (var scope = NewDisposeScope())
                {
                    var (inputIds, mask) = Collate(batch.Select(i => ids[i]).ToArray());
                    using var index = tensor(batch.Select(i => (long)i).ToArray(), device: Device);
                    output.index_copy_(0, index, Embed(inputIds, mask));
                }

                if (Device.type == DeviceType.CPU && batch.Length > 1)
                {
                    NativeHeap.ReturnFreeMemory();                                              // the batch's freed activations (see NativeHeap)
                }
            }

            return output;
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    /// <summary>Frees the backbone's native memory.</summary>
    public void Dispose() => Backbone.Dispose();
}
