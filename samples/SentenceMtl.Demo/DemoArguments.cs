namespace SentenceMtl.Demo;

/// <summary>What the demo was asked to do: the checked command line.</summary>
internal sealed record DemoArguments
{
    /// <summary>Training data (<c>--train</c>); null runs the built-in ten-sentence demo.</summary>
    public string? TrainPath { get; init; }

    /// <summary>Evaluation data (<c>--test</c>); required with <c>--train</c> unless cross-validating.</summary>
    public string? TestPath { get; init; }

    /// <summary>Per-epoch validation data (<c>--validation</c>): macro-F1 per epoch and best-epoch weights.</summary>
    public string? ValidationPath { get; init; }

    /// <summary>Backbone name or folder (<c>--model</c>).</summary>
    public string ModelName { get; init; } = Recipe.ModelName;

    /// <summary>Which parameters train (<c>--strategy</c>).</summary>
    public TrainingStrategy Strategy { get; init; } = Recipe.DefaultStrategy;

    /// <summary>Overrides the recipe's epochs (<c>--epochs</c>).</summary>
    public int? Epochs { get; init; }

    /// <summary>Overrides the recipe's contrastive pair-generation iterations (<c>--pair-iterations</c>).</summary>
    public int? PairIterations { get; init; }

    /// <summary>Overrides the recipe's contrastive trained layers (<c>--trained-layers</c>; 0 = the whole backbone).</summary>
    public int? TrainedLayers { get; init; }

    /// <summary>Overrides the recipe's contrastive end-to-end epochs (<c>--end-to-end-epochs</c>; 0 = none).</summary>
    public int? EndToEndEpochs { get; init; }

    /// <summary>Seed of weights, shuffling and folds (<c>--seed</c>).</summary>
    public long Seed { get; init; } = Recipe.Seed;

    /// <summary>Folder to save the trained model into (<c>--save</c>).</summary>
    public string? SaveDirectory { get; init; }

    /// <summary>File for the test reports as JSON (<c>--metrics-json</c>).</summary>
    public string? MetricsJsonPath { get; init; }

    /// <summary>Folder for PNG plots (<c>--plots</c>).</summary>
    public string? PlotsDirectory { get; init; }

    /// <summary>Number of folds (<c>--cross-validate</c>); null trains once and evaluates on the test set.</summary>
    public int? CrossValidationFolds { get; init; }

    /// <summary>How the trained model's encoder predicts and evaluates (<c>--quantization</c>); training is float32 either way.</summary>
    public EncoderQuantization Quantization { get; init; }

    /// <summary>Cross-validation evaluates each fold's model in float32 and in int8 (<c>--compare-quantization</c>).</summary>
    public bool CompareQuantization { get; init; }

    /// <summary>The recipe's trainer options with the command line's overrides.</summary>
    public TrainerOptions TrainerOptions()
    {
        var options = Recipe.TrainerOptions(Strategy, Seed);
        options = Epochs is { } epochs ? options with { Epochs = epochs } : options;
        options = PairIterations is { } iterations ? options with { Contrastive = options.Contrastive with { Iterations = iterations } } : options;
        options = TrainedLayers is { } layers ? options with { Contrastive = options.Contrastive with { TrainedLayers = layers } } : options;
        return EndToEndEpochs is { } endToEnd ? options with { Contrastive = options.Contrastive with { EndToEndEpochs = endToEnd } } : options;
    }

    /// <summary>
    /// The trainer options of the demo without <c>--train</c>: <see cref="TrainerOptions"/> with the contrastive pairs
    /// capped at <see cref="Recipe.FrontPageMaxPairs"/> unless <c>--pair-iterations</c> asks for more.
    /// </summary>
    public TrainerOptions FrontPageTrainerOptions()
    {
        var options = TrainerOptions();
        return PairIterations is null ? options with { Contrastive = options.Contrastive with { MaxPairs = Recipe.FrontPageMaxPairs } } : options;
    }
}
