using SentenceMtl.Training.Contrastive;
using static TorchSharp.torch;

namespace SentenceMtl.Tests.Training.Contrastive;

public sealed class ContrastiveLossesTests
{
    private static readonly double[][] First = [[1, 2, 0, -1], [0, 1, 1, 0.5], [3, -1, 2, 0], [0.2, 0.1, -0.4, 1]];
    private static readonly double[][] Second = [[2, 1, 1, 0], [1, 0, -1, 2], [-1, 2, 0.5, 1], [0.3, 0, -0.5, 0.9]];
    private static readonly float[] Labels = [1, 0, 1, 0];

    private static Tensor Tensor(double[][] rows) =>
        tensor(rows.SelectMany(r => r.Select(v => (float)v)).ToArray(), new long[] { rows.Length, rows[0].Length });

    private static double Cosine(double[] a, double[] b)
    {
        double dot = a.Zip(b, (x, y) => x * y).Sum();
        return dot / (Math.Sqrt(a.Sum(x => x * x)) * Math.Sqrt(b.Sum(x => x * x)));
    }

    [Fact]
    public void CosineSimilarity_is_the_mean_squared_error_of_the_cosines_against_the_labels()
    {
        double expected = First.Select((a, i) => Math.Pow(Cosine(a, Second[i]) - Labels[i], 2)).Average();
        using var scope = NewDisposeScope();
        var loss = ContrastiveLosses.Compute(ContrastiveLoss.CosineSimilarity, Tensor(First), Tensor(Second), tensor(Labels));
        Assert.Equal(expected, loss.item<float>(), 1e-5);
    }

    [Fact]
    public void MultipleNegativesRanking_is_the_cross_entropy_of_scaled_cosines_on_the_diagonal()
    {
        double expected = 0;
        for (int i = 0; i < First.Length; i++)
        {
            var scores = Second.Select(s => 20.0 * Cosine(First[i], s)).ToArray();
            double max = scores.Max();
            double logSum = max + Math.Log(scores.Sum(s => Math.Exp(s - max)));
            expected += (logSum - scores[i]) / First.Length;
        }

        using var scope = NewDisposeScope();
        var loss = ContrastiveLosses.Compute(ContrastiveLoss.MultipleNegativesRanking, Tensor(First), Tensor(Second), tensor(Labels));
        Assert.Equal(expected, loss.item<float>(), 1e-5);
        Assert.True(expected > 0.1, "the fixture's off-diagonal scores matter");
    }

    [Fact]
    public void Both_losses_have_gradients_towards_the_embeddings()
    {
        using var scope = NewDisposeScope();
        foreach (var kind in Enum.GetValues<ContrastiveLoss>())
        {
            var first = Tensor(First).requires_grad_();
            var loss = ContrastiveLosses.Compute(kind, first, Tensor(Second), tensor(Labels));
            loss.backward();
            Assert.True(first.grad is { } grad && grad.abs().sum().item<float>() > 0, kind.ToString());
        }
    }
}
