using SentenceMtl.Inference;
using SentenceMtl.Native;
using static TorchSharp.torch;

namespace SentenceMtl.Training.Contrastive;

/// <summary>
/// The token states of every training sentence after the frozen part of the backbone (the embeddings and the lowest
/// <see cref="Layers"/> layers), computed once: a contrastive step then runs only the trainable layers above them.
/// </summary>
/// <remarks>
/// Frozen layers run in evaluation mode (no dropout), so their output for a sentence is the same at every step and
/// computing it once changes nothing but rounding: attention reads only a sentence's own real tokens, so a state does
/// not depend on the batch it was computed in. The states of real tokens are kept packed, one row per token (for
/// all-MiniLM-L6-v2, 1.5 KB a token: 4.4 MB for the 150 news sentences), and computed without autograd
/// (<c>no_grad</c>, not inference mode, since the trainable layers above save them for the backward pass).
/// </remarks>
internal sealed class FrozenLayerStates : IDisposable
{
    /// <summary>Sentences per forward pass while computing the states.</summary>
    private const int BatchSize = 32;

    private readonly TorchEncoder encoder;
    private readonly Tensor rows;         // (tokens + 1, H): every sentence's real tokens in order, then a zero row for padding
    private readonly int[][] rowIds;      // each sentence's rows of the table, one per token

    private FrozenLayerStates(TorchEncoder encoder, Tensor rows, int[][] rowIds, int layers)
    {
        this.encoder = encoder;
        this.rows = rows;
        this.rowIds = rowIds;
        Layers = layers;
    }

    /// <summary>The frozen layers below the states: the first trainable layer's index.</summary>
    public int Layers { get; }

    /// <summary>
    /// Runs the embeddings and the lowest <paramref name="layers"/> layers of <paramref name="encoder"/>'s backbone (which
    /// must be in evaluation mode there) over every sentence of <paramref name="tokenIds"/>.
    /// </summary>
    public static FrozenLayerStates Compute(TorchEncoder encoder, int[][] tokenIds, int layers, CancellationToken cancellationToken)
    {
        var perSentence = new Tensor[tokenIds.Length];
        try
        {
            using (no_grad())
            {
                foreach (var batch in InferenceEngine.Batches(tokenIds, BatchSize, encoder.MaxBatchTokens))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var scope = NewDisposeScope();
                    var (ids, mask) = encoder.Collate(batch.Select(i => tokenIds[i]).ToArray());
                    var states = encoder.Backbone.forward_lower(ids, mask, layers);            // (B, T, H)
                    for (int k = 0; k < batch.Length; k++)
                    {
                        perSentence[batch[k]] = states.select(0, k).narrow(0, 0, tokenIds[batch[k]].Length).clone().MoveToOuterDisposeScope(); // (n, H)
                    }
                }
            }

            using var zero = zeros(1, encoder.Dimension, dtype: float32, device: encoder.Device);
            var all = cat([.. perSentence, zero], 0);                                          // (tokens + 1, H)
            var rowIds = new int[tokenIds.Length][];
            int next = 0;
            for (int i = 0; i < tokenIds.Length; i++)
            {
                rowIds[i] = [.. Enumerable.Range(next, tokenIds[i].Length)];
                next += tokenIds[i].Length;
            }

            NativeHeap.ReturnFreeMemory();                                                      // the passes' freed activations
            return new FrozenLayerStates(encoder, all, rowIds, layers);
        }
        finally
        {
            foreach (var t in perSentence)
            {
                t?.Dispose();
            }
        }
    }

    /// <summary>
    /// The states of <paramref name="sentences"/> padded into (S, T, H) (zeros at padding) and their (S, T) mask, T = longest:
    /// the sentences' row numbers collated as token ids are (<see cref="TorchEncoder.Collate"/>, padded with the zero row),
    /// then looked up in the table.
    /// </summary>
    public (Tensor States, Tensor Mask) Collate(IReadOnlyList<int> sentences)
    {
        var (index, mask) = encoder.Collate([.. sentences.Select(i => rowIds[i])], padId: rows.shape[0] - 1); // (S, T) rows
        using (index)
        {
            var states = rows.index_select(0, index.view(-1)).view(index.shape[0], index.shape[1], rows.shape[1]); // (S, T, H)
            return (states, mask);
        }
    }

    /// <summary>Frees the states.</summary>
    public void Dispose() => rows.Dispose();
}
