using SentenceMtl.Modeling.Bert;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SentenceMtl.Training.Contrastive;

/// <summary>
/// For the contrastive stage: the token-embedding rows the training sentences use, trained as a small matrix in place of
/// the whole vocabulary's. In all-MiniLM-L6-v2 the word-embedding matrix (30,522 × 384) is half of the backbone's
/// parameters, and with it in the optimizer every step computed, clipped and AdamW-updated a dense 11.7-million-value
/// gradient that is zero outside the ≈ 1,500 rows 150 sentences use: about 45 % of a step's CPU time
/// (<c>--training-profile</c>, docs/performance.md).
/// </summary>
/// <remarks>
/// Why it trains the same weights: a row no sentence uses has a zero gradient at every step, so its AdamW moments stay 0
/// and AdamW changes it only by decoupled weight decay, w ← w·(1 − lr·λ). The used rows get the same element-wise AdamW
/// updates from the same gradients whether they sit in the big matrix or the small one. So the losses, every used row and
/// every other weight are those of training the whole matrix (the clipping norm sums the same non-zero values; zeros add
/// nothing), and the unused rows get the product of the steps' decay factors at <see cref="Exit"/>, which equals AdamW's
/// step-by-step multiplication within float rounding. The row of the module's <c>padding_idx</c> keeps that index, so
/// the embedding's backward skips the same row.
/// </remarks>
internal sealed class CompactVocabulary : IDisposable
{
    private readonly Embedding module;
    private readonly Parameter full;
    private readonly Tensor rows;
    private readonly List<double> decay = [];
    private int committed;
    private bool exited;

    private CompactVocabulary(Embedding module, Parameter full, Tensor rows, Parameter compact, int[][] tokenIds, long padId)
    {
        this.module = module;
        this.full = full;
        this.rows = rows;
        Weight = compact;
        TokenIds = tokenIds;
        PadId = padId;
    }

    /// <summary>The small matrix that trains in place of the word embeddings (the module holds it until <see cref="Exit"/>).</summary>
    public Parameter Weight { get; }

    /// <summary>The sentences' token ids mapped to rows of <see cref="Weight"/>.</summary>
    public int[][] TokenIds { get; }

    /// <summary>The row of <see cref="Weight"/> the tokenizer's padding id maps to (what collation pads with).</summary>
    public long PadId { get; }

    /// <summary>Puts the rows <paramref name="tokenIds"/> use (and the padding rows) into the module in place of the whole matrix.</summary>
    /// <param name="backbone">The backbone whose word embeddings train.</param>
    /// <param name="tokenIds">Every sentence's token ids (full vocabulary).</param>
    /// <param name="tokenizerPadId">The id collation pads with.</param>
    public static CompactVocabulary Enter(BertModel backbone, int[][] tokenIds, int tokenizerPadId)
    {
        var module = backbone.Embeddings.WordEmbeddings;
        var full = module.weight!;
        int paddingIndex = backbone.Config.PadTokenId;                                          // the module's padding_idx
        var used = new SortedSet<int>(tokenIds.SelectMany(t => t)) { tokenizerPadId };
        used.Remove(paddingIndex);
        var order = used.ToList();
        for (int id = 0; order.Count < paddingIndex; id++)                                      // padding_idx needs that many rows before it
        {
            if (id != paddingIndex && !used.Contains(id))
            {
                order.Add(id);
            }
        }

        order.Insert(paddingIndex, paddingIndex);
        var index = new Dictionary<int, int>(order.Count);
        for (int i = 0; i < order.Count; i++)
        {
            index[order[i]] = i;
        }

        var rows = tensor(order.Select(i => (long)i).ToArray(), device: full.device);
        Parameter compact;
        using (no_grad())
        {
            compact = new Parameter(full.index_select(0, rows), requires_grad: true);
        }

        module.weight = compact;
        int[][] mapped = [.. tokenIds.Select(t => t.Select(id => index[id]).ToArray())];
        return new CompactVocabulary(module, full, rows, compact, mapped, index[tokenizerPadId]);
    }

    /// <summary>Records one optimizer step's decoupled weight decay factor (1 − lr·λ, <see cref="TrainingOptimizer.DecayFactor"/>) for the unused rows.</summary>
    public void Stepped(double factor) => decay.Add(factor);

    /// <summary>At the end of an epoch whose weights were kept: a later restore goes back to here.</summary>
    public void Commit() => committed = decay.Count;

    /// <summary>
    /// Puts the whole matrix back into the module: the unused rows decayed by the recorded steps (only the committed ones
    /// when <paramref name="restored"/>: a divergence put the trained weights back to the last kept epoch), the used rows
    /// as trained.
    /// </summary>
    public void Exit(bool restored)
    {
        if (exited)
        {
            return;
        }

        exited = true;
        double factor = 1;
        foreach (double f in decay.Take(restored ? committed : decay.Count))
        {
            factor *= f;
        }

        using (no_grad())
        {
            if (factor != 1)
            {
                full.mul_(factor);
            }

            full.index_copy_(0, rows, Weight);
        }

        module.weight = full;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Exit(restored: true);
        rows.Dispose();
        Weight.Dispose();
    }
}
