using System.Text;

namespace SentenceMtl;

/// <summary>What the contrastive stage of <see cref="TrainingStrategy.Contrastive"/> did.</summary>
/// <param name="Pairs">Pairs trained on, over all its epochs.</param>
/// <param name="Steps">Its optimisation steps.</param>
/// <param name="EpochLosses">Mean pair loss of each of its epochs.</param>
/// <param name="PairsPerSecond"><paramref name="Pairs"/> per second of <paramref name="Duration"/>.</param>
/// <param name="Duration">Wall-clock time of the stage.</param>
public sealed record ContrastiveSummary(int Pairs, int Steps, IReadOnlyList<double> EpochLosses, double PairsPerSecond, TimeSpan Duration)
{
    // EpochLosses = [0.25, 0.12] rather than the list's type name.
    private bool PrintMembers(StringBuilder builder) => ResultText.Members(builder,
        ("Pairs", Pairs.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("Steps", Steps.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("EpochLosses", ResultText.Numbers(EpochLosses)),
        ("PairsPerSecond", ResultText.Number(PairsPerSecond)),
        ("Duration", Duration.ToString("c", System.Globalization.CultureInfo.InvariantCulture)));
}
