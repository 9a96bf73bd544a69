using System.Globalization;

namespace SentenceMtl.Demo;

/// <summary>
/// The training recipe, in one place: which backbone, which heads, which hyper-parameters per strategy. Every mode of
/// the demo (the ten-sentence demo, train/test, cross-validation) builds its model and trainer here, so a change made
/// here is what <c>--cross-validate</c> measures.
/// </summary>
internal static class Recipe
{
    /// <summary>The backbone (installed by SentenceMtl.Models.AllMiniLML6V2, so the demo runs offline); <c>--model</c> overrides it.</summary>
    public const string ModelName = "all-MiniLM-L6-v2";

    /// <summary>Seed of the heads' initial weights, shuffling, dropout and the cross-validation split; <c>--seed</c> overrides it.</summary>
    public const long Seed = 42;

    /// <summary>
    /// The strategy the demo trains with unless <c>--strategy</c> says otherwise: the best cross-validated recipe on
    /// news_train that trains in under five minutes on two cores (README, "Training strategies").
    /// </summary>
    public const TrainingStrategy DefaultStrategy = TrainingStrategy.Contrastive;

    /// <summary>The tasks every dataset is read with, in head order.</summary>
    public static IReadOnlyList<TaskDefinition> Tasks { get; } = [TaskDefinition.Topic, TaskDefinition.Sentiment];

    /// <summary>
    /// The demo's training data without arguments: data/news_train.jsonl (150 sentences, 10 per topic and sentiment),
    /// copied beside the executable. Its held-out sentences are <see cref="FrontPageHeldOutFiles"/>, none of them in it.
    /// </summary>
    public const string FrontPageTrainFile = "news_train.jsonl";

    /// <summary>The demo's held-out sentences without arguments (16, shipped in samples/SentenceMtl.Demo/data).</summary>
    public static IReadOnlyList<string> FrontPageHeldOutFiles { get; } = ["demo_test.jsonl", "demo_train.jsonl"];

    /// <summary>
    /// The pair cap of the demo without arguments: the contrastive stage trains on 32 pairs (1 step of 32) instead of
    /// the recipe's 6,000 on 150 sentences (10 iterations x 150 sentences x 2 tasks x a positive and a negative), so the
    /// whole demo stays within 30 s on two cores (measured at load 3.9: 28.6 s of stages, 13.0 s of them the 2 pair steps;
    /// 64 pairs took 38.0 s at load 2.4); <c>--pair-iterations</c> lifts the cap. Raise it as contrastive steps get faster.
    /// </summary>
    public const int FrontPageMaxPairs = 32;

    /// <summary>Whether <paramref name="strategy"/> trains backbone weights (so the model must start unfrozen).</summary>
    public static bool TrainsBackbone(TrainingStrategy strategy) =>
        strategy is TrainingStrategy.FullFineTuning or TrainingStrategy.GradualUnfreezing;

    /// <summary>The heads: the library defaults, spelt out so they can be tuned here.</summary>
    public static MultiTaskModelOptions ModelOptions(TrainingStrategy strategy, long seed) => new()
    {
        Tasks = Tasks,
        HeadHiddenSizes = [256],              // one hidden layer per head
        Activation = HeadActivation.Gelu,
        Dropout = 0.1,
        Seed = seed,
    };

    /// <summary>The trainer's hyper-parameters for <paramref name="strategy"/>.</summary>
    public static TrainerOptions TrainerOptions(TrainingStrategy strategy, long seed) => TrainsBackbone(strategy)
        ? new TrainerOptions
        {
            Strategy = strategy,
            Epochs = 4,                       // a few passes: the backbone is already a good sentence encoder
            BatchSize = 16,
            HeadLearningRate = 1e-3,
            BackboneLearningRate = 2e-5,      // small, so fine-tuning does not wash out the pretraining
            Seed = seed,
        }
        : strategy == TrainingStrategy.Contrastive
        ? new TrainerOptions
        {
            Strategy = strategy,              // SetFit: the backbone on pairs from the labels, then the heads on its cached embeddings
            // The top 3 of the 6 layers train on the pairs (the layers below run once per sentence), in steps of 32 pairs at
            // lr 2e-4: 5-fold CV on news_train (3 seeds) 0.996 / 0.978 against 0.993 / 0.964 at 1e-4 and 0.989 / 0.967 for
            // the whole backbone at 16 pairs and 2e-5, in 49-55 s instead of 143 on the 150 sentences (docs/performance.md).
            // 10 iterations: CV beat 5. Steps of 64 pairs are faster but peak at 920-1,006 MiB (1 GB is the bound); no
            // end-to-end epochs: they did not pay on news_train or on Brown genres.
            Contrastive = new ContrastiveOptions { Iterations = 10, Epochs = 1, TrainedLayers = 3, LearningRate = 2e-4, BatchSize = 32 },
            Epochs = 100,
            BatchSize = 16,
            HeadLearningRate = 1e-3,
            Seed = seed,
        }
        : new TrainerOptions
        {
            Strategy = strategy,              // HeadsOnly or AlternatingHeads: frozen backbone, cached embeddings
            Epochs = 100,                     // chosen by 5-fold CV on news_train (2 seeds): 30 epochs under-fit sentiment
            BatchSize = 16,
            HeadLearningRate = 1e-3,
            Seed = seed,
        };

    /// <summary>
    /// A fresh model for <paramref name="strategy"/> on the backbone <paramref name="modelNameOrPath"/>, whose encoder
    /// predicts with <paramref name="quantization"/> (training embeds in float32 whatever it is).
    /// </summary>
    public static MultiTaskModel CreateModel(string modelNameOrPath, TrainingStrategy strategy, long seed, EncoderQuantization quantization) =>
        MultiTaskModel.Create(modelNameOrPath, ModelOptions(strategy, seed), new SentenceEncoderOptions { Quantization = quantization });

    /// <summary>One line naming the backbone, the strategy and the trainer's main hyper-parameters.</summary>
    public static string Describe(string modelNameOrPath, TrainerOptions options)
    {
        var pairs = options.Contrastive;
        string backbone = TrainsBackbone(options.Strategy)
            ? string.Create(CultureInfo.InvariantCulture, $", backbone lr {options.BackboneLearningRate:0.###e+0}")
            : options.Strategy == TrainingStrategy.Contrastive
            ? string.Create(CultureInfo.InvariantCulture,
                $", backbone ({(pairs.TrainedLayers == 0 ? "all of it" : $"top {pairs.TrainedLayers} layers")}) on pairs: {pairs.Iterations} iterations, {pairs.Epochs} epoch(s), batch {pairs.BatchSize}, lr {pairs.LearningRate:0.###e+0}, {pairs.Loss} loss")
                + (pairs.EndToEndEpochs == 0 ? "" : string.Create(CultureInfo.InvariantCulture,
                    $", then {pairs.EndToEndEpochs} end-to-end epoch(s) at backbone lr {options.BackboneLearningRate:0.###e+0}"))
            : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{modelNameOrPath}, {options.Strategy}: {options.Epochs} epochs, batch {options.BatchSize}, head lr {options.HeadLearningRate:0.###e+0}{backbone}, seed {options.Seed}");
    }
}
