using SentenceMtl.Checkpoints;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SentenceMtl.Training;

/// <summary>
/// Stops a diverging run and puts the weights back: keeps a copy of the weights a run can change, taken when the run
/// starts and renewed at the end of every epoch whose weights are all finite. A loss that is NaN, infinite or above
/// <see cref="MaxLoss"/>, or a non-finite weight at the end of an epoch (which also covers the epoch's last step, whose
/// loss is never computed), restores that copy and throws <see cref="InvalidOperationException"/>.
/// </summary>
internal sealed class DivergenceGuard : IDisposable
{
    /// <summary>A mean cross-entropy this large means the weights have exploded (a sane run stays far below 100).</summary>
    public const double MaxLoss = 1e30;

    private readonly List<(string Name, Parameter Parameter)> watched;
    private readonly Tensor[] kept;
    private readonly string remedy;

    /// <param name="watched">Every parameter the run may change, with its name for messages.</param>
    /// <param name="remedy">What the message tells the user to do (default: lower the trainer's learning rates).</param>
    public DivergenceGuard(IEnumerable<(string Name, Parameter Parameter)> watched, string? remedy = null)
    {
        this.remedy = remedy ?? "Lower the learning rates (HeadLearningRate, BackboneLearningRate) or check the data.";
        this.watched = watched.ToList();
        using var noGrad = no_grad();
        kept = this.watched.Select(p => p.Parameter.detach().clone()).ToArray();
    }

    /// <summary>Whether a divergence put the kept weights back (the run then threw).</summary>
    public bool Restored { get; private set; }

    /// <summary>Throws (after restoring the kept weights) when <paramref name="loss"/> shows the run diverged.</summary>
    /// <param name="loss">The batch's loss.</param>
    /// <param name="epoch">0-based epoch.</param>
    /// <param name="step">0-based step of the run.</param>
    public void CheckLoss(double loss, int epoch, int step)
    {
        if (!double.IsFinite(loss) || loss > MaxLoss)
        {
            Fail($"The loss became {loss} at epoch {epoch + 1}, step {step + 1}");
        }
    }

    /// <summary>At the end of an epoch: throws (after restoring) when a weight is not finite, else keeps the weights.</summary>
    public void EndEpoch(int epoch, int step)
    {
        using var noGrad = no_grad();
        if (FiniteWeights.FirstNonFinite(watched) is { } name)
        {
            Fail($"The weight {name} became NaN or infinite by the end of epoch {epoch + 1} (step {step})");
        }

        for (int i = 0; i < kept.Length; i++)
        {
            kept[i].copy_(watched[i].Parameter);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var t in kept)
        {
            t.Dispose();
        }
    }

    private void Fail(string what)
    {
        using (no_grad())
        {
            for (int i = 0; i < kept.Length; i++)
            {
                watched[i].Parameter.copy_(kept[i]);
            }
        }

        Restored = true;

        throw new InvalidOperationException(
            $"{what}: training diverged. The weights were restored to those at the start of that epoch. {remedy}");
    }
}
