using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;

namespace SentenceMtl.Demo;

/// <summary>The demo's command line (System.CommandLine): options, their checks, and the mapping to <see cref="DemoArguments"/>.</summary>
internal static class DemoCommandLine
{
    /// <summary>The <c>--strategy</c> names, in help order.</summary>
    public static IReadOnlyDictionary<string, TrainingStrategy> Strategies { get; } = new Dictionary<string, TrainingStrategy>(StringComparer.Ordinal)
    {
        ["contrastive"] = TrainingStrategy.Contrastive,
        ["heads"] = TrainingStrategy.HeadsOnly,
        ["alternating"] = TrainingStrategy.AlternatingHeads,
        ["full"] = TrainingStrategy.FullFineTuning,
        ["gradual"] = TrainingStrategy.GradualUnfreezing,
    };

    /// <summary>The <c>--quantization</c> names.</summary>
    public static IReadOnlyDictionary<string, EncoderQuantization> Quantizations { get; } = new Dictionary<string, EncoderQuantization>(StringComparer.Ordinal)
    {
        ["none"] = EncoderQuantization.None,
        ["int8"] = EncoderQuantization.Int8,
    };

    /// <summary>The <c>--strategy</c> name of <see cref="Recipe.DefaultStrategy"/>.</summary>
    public static string DefaultStrategyName { get; } = Strategies.Single(pair => pair.Value == Recipe.DefaultStrategy).Key;

    private static readonly string[] DatasetExtensions = [".jsonl", ".ndjson", ".json", ".csv", ".tsv"];

    /// <summary>Parses and checks <paramref name="args"/>.</summary>
    /// <returns>Either the arguments, a one-line error, or a built-in action (help, version) to invoke.</returns>
    public static ParsedCommandLine Parse(IReadOnlyList<string> args)
    {
        var train = DatasetOption("--train", "Training data: JSON Lines or CSV/TSV with text, topic and sentiment.");
        var test = DatasetOption("--test", "Test data, same format; required with --train unless --cross-validate is given.");
        var validation = DatasetOption("--validation", "Validation data: macro-F1 per epoch; the best epoch's weights are kept.");
        var model = new Option<string>("--model")
        {
            Description = "Backbone: an embedded model name, a Hugging Face cache id or a model folder.",
            HelpName = "NAME|PATH",
            DefaultValueFactory = _ => Recipe.ModelName,
        };
        var strategy = new Option<string>("--strategy")
        {
            Description = $"Which parameters train: {string.Join(", ", Strategies.Keys)}.",
            HelpName = string.Join("|", Strategies.Keys),
            DefaultValueFactory = _ => DefaultStrategyName,
        };
        strategy.Validators.Add(result =>
        {
            string value = result.GetValueOrDefault<string>();
            if (!Strategies.ContainsKey(value))
            {
                result.AddError($"Unknown strategy '{value}' (expected {string.Join(", ", Strategies.Keys)}).");
            }
        });
        var epochs = PositiveIntOption("--epochs", "N", string.Create(CultureInfo.InvariantCulture,
            $"Epochs, overriding the recipe ({Recipe.TrainerOptions(TrainingStrategy.HeadsOnly, Recipe.Seed).Epochs} for heads, alternating and "
            + $"contrastive's heads; {Recipe.TrainerOptions(TrainingStrategy.FullFineTuning, Recipe.Seed).Epochs} for full and gradual)."), minimum: 1);
        var pairIterations = PositiveIntOption("--pair-iterations", "N", string.Create(CultureInfo.InvariantCulture,
            $"contrastive: pair-generation iterations, overriding the recipe's {Recipe.TrainerOptions(TrainingStrategy.Contrastive, Recipe.Seed).Contrastive.Iterations}."), minimum: 1);
        var trainedLayers = PositiveIntOption("--trained-layers", "N", string.Create(CultureInfo.InvariantCulture,
            $"contrastive: train only the backbone's top N layers on the pairs (0 = the whole backbone), overriding the recipe's {Recipe.TrainerOptions(TrainingStrategy.Contrastive, Recipe.Seed).Contrastive.TrainedLayers}."), minimum: 0);
        var endToEndEpochs = PositiveIntOption("--end-to-end-epochs", "N", string.Create(CultureInfo.InvariantCulture,
            $"contrastive: after the heads' epochs, N more that train the heads and the pair-trained layers together (0 = none), overriding the recipe's {Recipe.TrainerOptions(TrainingStrategy.Contrastive, Recipe.Seed).Contrastive.EndToEndEpochs}."), minimum: 0);
        var seed = new Option<long>("--seed")
        {
            Description = "Seed of the heads' initial weights, shuffling, dropout and the folds.",
            HelpName = "N",
            DefaultValueFactory = _ => Recipe.Seed,
        };
        var save = new Option<string>("--save") { Description = "Save the trained model into this folder.", HelpName = "DIR" };
        var metricsJson = new Option<string>("--metrics-json")
        {
            Description = "Write the test reports as {\"topic\": …, \"sentiment\": …} JSON to this file.",
            HelpName = "FILE",
        };
        var plots = new Option<string>("--plots") { Description = "Write loss, validation-F1 and confusion-matrix PNGs into this folder.", HelpName = "DIR" };
        var crossValidate = PositiveIntOption("--cross-validate", "K", "Stratified K-fold cross-validation on --train instead of a test set.", minimum: 2);
        var quantization = new Option<string>("--quantization")
        {
            Description = "How the trained model predicts and evaluates: none (float32) or int8 (the inference engine's int8 "
                + "linear layers). Training is float32 either way.",
            HelpName = string.Join("|", Quantizations.Keys),
            DefaultValueFactory = _ => "none",
        };
        quantization.Validators.Add(result =>
        {
            string value = result.GetValueOrDefault<string>();
            if (!Quantizations.ContainsKey(value))
            {
                result.AddError($"Unknown quantization '{value}' (expected {string.Join(", ", Quantizations.Keys)}).");
            }
        });
        var compareQuantization = new Option<bool>("--compare-quantization")
        {
            Description = "With --cross-validate: evaluate each fold's trained model in float32 and again in int8 (saved to a "
                + "temporary folder and loaded with int8), trained once.",
        };

        var root = new RootCommand(
            "SentenceMtl demo. Without --train: sentence similarity per pooling, semantic search over a small corpus, then topic "
            + "and sentiment heads trained SetFit-style on data/news_train.jsonl, saved, loaded back in int8 and compared, with the "
            + "time of each stage (--model, --strategy, --epochs, --pair-iterations, --seed and --quantization apply). With --train: "
            + "train, evaluate, save, plot or cross-validate the recipe on your data.")
        {
            train, test, validation, model, strategy, epochs, pairIterations, trainedLayers, endToEndEpochs, seed, save, metricsJson, plots, crossValidate,
            quantization, compareQuantization,
        };
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new HelpWithExamples((HelpAction)help.Action!);
        root.Validators.Add(command =>
        {
            bool Given(Option option) => command.GetResult(option) is { Implicit: false };
            bool hasTrain = Given(train), cv = Given(crossValidate);
            if (!hasTrain)
            {
                var needsTrain = new Option[] { test, validation, save, metricsJson, plots, crossValidate }.FirstOrDefault(Given);
                if (needsTrain is not null)
                {
                    command.AddError($"{needsTrain.Name} needs --train.");
                }
            }
            else if (cv)
            {
                var unused = new Option[] { save, metricsJson, plots }.FirstOrDefault(Given);
                if (unused is not null)
                {
                    command.AddError($"{unused.Name} cannot be combined with --cross-validate (each fold trains its own model).");
                }
            }
            else if (!Given(test))
            {
                command.AddError("--train needs --test (or --cross-validate K).");
            }
            bool contrastive = (command.GetValue(strategy) ?? DefaultStrategyName) == "contrastive"; // unset in a validator: the recipe's default
            if (Given(pairIterations) && !contrastive)
            {
                command.AddError("--pair-iterations needs --strategy contrastive.");
            }
            if (Given(trainedLayers) && !contrastive)
            {
                command.AddError("--trained-layers needs --strategy contrastive.");
            }
            if (Given(endToEndEpochs) && !contrastive)
            {
                command.AddError("--end-to-end-epochs needs --strategy contrastive.");
            }
            if (Given(compareQuantization) && !cv)
            {
                command.AddError("--compare-quantization needs --train and --cross-validate K.");
            }
            else if (Given(compareQuantization) && Given(quantization))
            {
                command.AddError("--compare-quantization evaluates both float32 and int8; drop --quantization.");
            }
        });

        var result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            return new ParsedCommandLine(result, null, OneLine(result.Errors[0].Message));
        }
        if (result.Action is not null)
        {
            return new ParsedCommandLine(result, null, null); // --help, --version
        }
        var arguments = new DemoArguments
        {
            TrainPath = result.GetValue(train),
            TestPath = result.GetValue(test),
            ValidationPath = result.GetValue(validation),
            ModelName = result.GetValue(model) ?? Recipe.ModelName,
            Strategy = Strategies[result.GetValue(strategy) ?? DefaultStrategyName],
            Epochs = result.GetResult(epochs) is { Implicit: false } ? result.GetValue(epochs) : null,
            PairIterations = result.GetResult(pairIterations) is { Implicit: false } ? result.GetValue(pairIterations) : null,
            TrainedLayers = result.GetResult(trainedLayers) is { Implicit: false } ? result.GetValue(trainedLayers) : null,
            EndToEndEpochs = result.GetResult(endToEndEpochs) is { Implicit: false } ? result.GetValue(endToEndEpochs) : null,
            Seed = result.GetValue(seed),
            SaveDirectory = result.GetValue(save),
            MetricsJsonPath = result.GetValue(metricsJson),
            PlotsDirectory = result.GetValue(plots),
            CrossValidationFolds = result.GetResult(crossValidate) is { Implicit: false } ? result.GetValue(crossValidate) : null,
            Quantization = Quantizations[result.GetValue(quantization) ?? "none"],
            CompareQuantization = result.GetValue(compareQuantization),
        };
        return new ParsedCommandLine(result, arguments, null);
    }

    private static Option<string> DatasetOption(string name, string description)
    {
        var option = new Option<string>(name) { Description = description, HelpName = "FILE" };
        option.Validators.Add(result =>
        {
            string path = result.GetValueOrDefault<string>();
            if (!DatasetExtensions.Contains(Path.GetExtension(path).ToLowerInvariant()))
            {
                result.AddError($"{name}: cannot tell the format of '{path}' (expected {string.Join(", ", DatasetExtensions)}).");
            }
            else if (!File.Exists(path))
            {
                result.AddError($"{name}: file not found: {path}");
            }
        });
        return option;
    }

    private static Option<int> PositiveIntOption(string name, string helpName, string description, int minimum) => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = result =>
        {
            string token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (int.TryParse(token, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value >= minimum)
            {
                return value;
            }
            result.AddError($"{name} must be an integer of at least {minimum} (got '{token}').");
            return 0;
        },
    };

    private static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
