using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SentenceMtl.Training;

/// <summary>
/// Keeps a copy of the weights of the epoch with the best mean validation macro-F1 and decides early stopping; without
/// validation scores the last epoch is the best.
/// </summary>
/// <param name="watched">The parameters the run may change (with their names).</param>
/// <param name="patience">Epochs without a better score before the run stops (0: never).</param>
internal sealed class BestEpoch(IReadOnlyList<(string Name, Parameter Parameter)> watched, int patience) : IDisposable
{
    private Tensor[]? best;
    private double bestScore = double.NegativeInfinity;
    private int epochsWithoutImprovement;

    /// <summary>The 1-based epoch whose weights the model holds once <see cref="RestoreBest"/> ran.</summary>
    public int Epoch { get; private set; }

    /// <summary>Whether <see cref="Observe"/> ended the run early.</summary>
    public bool StoppedEarly { get; private set; }

    /// <summary>Records <paramref name="summary"/>'s score, copying the weights when it is the best so far.</summary>
    /// <returns>False when early stopping ends the run.</returns>
    public bool Observe(EpochSummary summary)
    {
        if (summary.MeanValidationMacroF1 is not { } score)
        {
            Epoch = summary.Epoch;
            return true;
        }

        if (score > bestScore)
        {
            bestScore = score;
            Epoch = summary.Epoch;
            epochsWithoutImprovement = 0;
            Keep();
            return true;
        }

        StoppedEarly = patience > 0 && ++epochsWithoutImprovement >= patience;
        return !StoppedEarly;
    }

    /// <summary>Puts the best epoch's weights back (nothing to do without validation scores).</summary>
    public void RestoreBest()
    {
        if (best is null)
        {
            return;
        }

        using var noGrad = no_grad();
        for (int i = 0; i < best.Length; i++)
        {
            watched[i].Parameter.copy_(best[i]);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => DisposeCopies();

    private void Keep()
    {
        using var noGrad = no_grad();
        DisposeCopies();
        best = watched.Select(p => p.Parameter.detach().clone()).ToArray();
    }

    private void DisposeCopies()
    {
        foreach (var t in best ?? [])
        {
            t.Dispose();
        }

        best = null;
    }
}
