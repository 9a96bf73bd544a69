using System.Globalization;

namespace SentenceMtl.Benchmarks;

/// <summary>
/// The pair stage's settings that the training modes take on their command lines (<see cref="Names"/>), each
/// replacing the recipe's value when given.
/// </summary>
internal sealed class PairStageArguments
{
    /// <summary>The options read here, for a mode's usage message.</summary>
    public const string Names = "--pair-iterations, --trained-layers, --pair-batch-size, --pair-learning-rate, --end-to-end-epochs";

    private int? iterations, trainedLayers, batchSize, endToEndEpochs;
    private double? learningRate;

    /// <summary>Reads <paramref name="value"/> if <paramref name="option"/> is one of <see cref="Names"/>; false otherwise.</summary>
    public bool TryRead(string option, string value)
    {
        switch (option)
        {
            case "--pair-iterations": iterations = int.Parse(value, CultureInfo.InvariantCulture); return true;
            case "--trained-layers": trainedLayers = int.Parse(value, CultureInfo.InvariantCulture); return true;
            case "--pair-batch-size": batchSize = int.Parse(value, CultureInfo.InvariantCulture); return true;
            case "--pair-learning-rate": learningRate = double.Parse(value, CultureInfo.InvariantCulture); return true;
            case "--end-to-end-epochs": endToEndEpochs = int.Parse(value, CultureInfo.InvariantCulture); return true;
            default: return false;
        }
    }

    /// <summary><paramref name="recipe"/> with the values given on the command line.</summary>
    public ContrastiveOptions ApplyTo(ContrastiveOptions recipe) => recipe with
    {
        Iterations = iterations ?? recipe.Iterations,
        TrainedLayers = trainedLayers ?? recipe.TrainedLayers,
        BatchSize = batchSize ?? recipe.BatchSize,
        LearningRate = learningRate ?? recipe.LearningRate,
        EndToEndEpochs = endToEndEpochs ?? recipe.EndToEndEpochs,
    };
}
