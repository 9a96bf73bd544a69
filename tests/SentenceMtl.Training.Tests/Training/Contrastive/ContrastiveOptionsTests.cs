namespace SentenceMtl.Tests.Training.Contrastive;

public sealed class ContrastiveOptionsTests
{
    [Fact]
    public void The_defaults_are_SetFits_and_valid()
    {
        var o = new ContrastiveOptions();
        o.Validate();
        Assert.Equal((20, 1, 2e-5, 16, ContrastiveLoss.CosineSimilarity, 0), (o.Iterations, o.Epochs, o.LearningRate, o.BatchSize, o.Loss, o.MaxPairs));
        Assert.Equal((0.1, 0.01, 1.0, 0), (o.WarmupRatio, o.WeightDecay, o.MaxGradientNorm, o.TrainedLayers));
    }

    public static TheoryData<ContrastiveOptions, string, string> Invalid => new()
    {
        { new ContrastiveOptions { Iterations = 0 }, "Iterations", "from 1 to 10,000" },
        { new ContrastiveOptions { Iterations = 10_001 }, "Iterations", "from 1 to 10,000" },
        { new ContrastiveOptions { Epochs = 0 }, "Epochs", "must be ≥ 1" },
        { new ContrastiveOptions { BatchSize = -3 }, "BatchSize", "must be ≥ 1" },
        { new ContrastiveOptions { MaxPairs = -1 }, "MaxPairs", "must be ≥ 0 (0 = no cap)" },
        { new ContrastiveOptions { TrainedLayers = -1 }, "TrainedLayers", "must be ≥ 0 (0 = the whole backbone)" },
        { new ContrastiveOptions { LearningRate = 0 }, "LearningRate", "finite and > 0" },
        { new ContrastiveOptions { LearningRate = double.NaN }, "LearningRate", "finite and > 0" },
        { new ContrastiveOptions { Loss = (ContrastiveLoss)7 }, "Loss", "CosineSimilarity, MultipleNegativesRanking" },
        { new ContrastiveOptions { WarmupRatio = 1 }, "WarmupRatio", "in [0, 1)" },
        { new ContrastiveOptions { WarmupRatio = -0.1 }, "WarmupRatio", "in [0, 1)" },
        { new ContrastiveOptions { WeightDecay = -1 }, "WeightDecay", "finite and ≥ 0" },
        { new ContrastiveOptions { MaxGradientNorm = double.PositiveInfinity }, "MaxGradientNorm", "finite and ≥ 0 (0 disables clipping)" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void An_invalid_setting_is_named_with_its_allowed_range(ContrastiveOptions options, string property, string range)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(property, options.Validate);
        Assert.Contains($"ContrastiveOptions.{property}", e.Message, StringComparison.Ordinal);
        Assert.Contains(range, e.Message, StringComparison.Ordinal);
    }
}
