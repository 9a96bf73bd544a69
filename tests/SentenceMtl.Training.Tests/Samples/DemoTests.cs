using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using SentenceMtl.Demo;
using Spectre.Console;

namespace SentenceMtl.Tests.Samples;

[Collection(DemoTests.Collection)]
public sealed partial class DemoTests : IDisposable
{
    /// <summary>
    /// The demo's test classes run one after another: they create and check sentencemtl-demo-* folders in the temporary
    /// folder, and a folder of one class's run must not appear in the other's before/after comparison.
    /// </summary>
    public const string Collection = "Demo temporary folders";

    private static readonly string DemoData = Path.Combine(TestPaths.RepoRoot, "samples", "SentenceMtl.Demo", "data");
    private static readonly string Train = Path.Combine(DemoData, "demo_train.jsonl");
    private static readonly string Test = Path.Combine(DemoData, "demo_test.jsonl");

    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    internal static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 240;                                                            // one line per result line
        int code = DemoApp.Run(args, console, error);
        return (code, output.ToString(), error.ToString());
    }

    public static TheoryData<string[]> BadCommandLines => new()
    {
        { ["--train", "/no/such/file.jsonl", "--test", "/no/such/file.jsonl"] },
        { ["--train", "{train}"] },
        { ["--test", "{test}"] },
        { ["--train", "{train}", "--test", "{test}", "--strategy", "fancy"] },
        { ["--train", "{train}", "--test", "{test}", "--epochs", "-3"] },
        { ["--train", "{train}", "--test", "{test}", "--epochs", "abc"] },
        { ["--train", "{train}", "--cross-validate", "1"] },
        { ["--train", "{train}", "--cross-validate", "3", "--save", "x"] },
        { ["--train", "data.txt", "--test", "{test}"] },
        { ["--no-such-option"] },
        { ["--train", "{train}", "--test", "{test}", "--quantization", "fp16"] },
        { ["--train", "{train}", "--test", "{test}", "--compare-quantization"] },
        { ["--compare-quantization"] },
        { ["--train", "{train}", "--cross-validate", "3", "--compare-quantization", "--quantization", "int8"] },
    };

    [Theory]
    [MemberData(nameof(BadCommandLines))]
    public void Bad_command_lines_exit_with_2_and_one_error_line(string[] args)
    {
        var (code, output, error) = Run(args.Select(a => a.Replace("{train}", Train).Replace("{test}", Test)).ToArray());

        Assert.Equal(DemoApp.Usage, code);
        Assert.Equal("", output);
        string line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void More_folds_than_examples_is_a_usage_error()
    {
        var (code, _, error) = Run("--train", Train, "--cross-validate", "11", "--model", folder.Model);

        Assert.Equal(DemoApp.Usage, code);
        Assert.Contains("needs at least 11 examples", error);
    }

    [Fact]
    public void A_valid_command_line_maps_to_the_arguments()
    {
        var parsed = DemoCommandLine.Parse(["--train", Train, "--test", Test, "--strategy", "gradual", "--epochs", "3", "--seed", "7"]);

        Assert.Null(parsed.Error);
        var arguments = Assert.IsType<DemoArguments>(parsed.Arguments);
        Assert.Equal(TrainingStrategy.GradualUnfreezing, arguments.Strategy);
        Assert.Equal(3, arguments.TrainerOptions().Epochs);
        Assert.Equal(7, arguments.TrainerOptions().Seed);
        Assert.True(Recipe.TrainsBackbone(arguments.Strategy));
        Assert.Equal(Recipe.ModelName, arguments.ModelName);
    }

    [Fact]
    public void Pair_iterations_override_the_contrastive_recipe_and_need_that_strategy()
    {
        var parsed = DemoCommandLine.Parse(["--train", Train, "--test", Test, "--strategy", "contrastive", "--pair-iterations", "3"]);
        var arguments = Assert.IsType<DemoArguments>(parsed.Arguments);
        Assert.Equal(TrainingStrategy.Contrastive, arguments.TrainerOptions().Strategy);
        Assert.Equal(3, arguments.TrainerOptions().Contrastive.Iterations);

        var wrong = DemoCommandLine.Parse(["--train", Train, "--test", Test, "--strategy", "heads", "--pair-iterations", "3"]);
        Assert.Null(wrong.Arguments);
        Assert.Contains("--pair-iterations needs --strategy contrastive", wrong.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--pair-iterations", "10")]   // the --help example: the front page with the recipe's full pair stage
    [InlineData("--trained-layers", "0")]
    [InlineData("--end-to-end-epochs", "2")]
    public void Contrastive_overrides_need_no_strategy_when_the_default_is_contrastive(string option, string value)
    {
        Assert.Equal(TrainingStrategy.Contrastive, Recipe.DefaultStrategy);

        var front = DemoCommandLine.Parse([option, value]);
        var train = DemoCommandLine.Parse(["--train", Train, "--test", Test, option, value]);

        Assert.Null(front.Error);
        Assert.Null(train.Error);
        var contrastive = Assert.IsType<DemoArguments>(train.Arguments).TrainerOptions().Contrastive;
        Assert.Equal(int.Parse(value, CultureInfo.InvariantCulture), option switch
        {
            "--pair-iterations" => contrastive.Iterations,
            "--trained-layers" => contrastive.TrainedLayers,
            _ => contrastive.EndToEndEpochs,
        });
    }

    [Fact]
    public void Trained_layers_override_the_contrastive_recipe_and_need_that_strategy()
    {
        var parsed = DemoCommandLine.Parse(["--train", Train, "--test", Test, "--strategy", "contrastive", "--trained-layers", "4"]);
        Assert.Equal(4, Assert.IsType<DemoArguments>(parsed.Arguments).TrainerOptions().Contrastive.TrainedLayers);

        var wrong = DemoCommandLine.Parse(["--train", Train, "--test", Test, "--strategy", "heads", "--trained-layers", "2"]);
        Assert.Null(wrong.Arguments);
        Assert.Contains("--trained-layers needs --strategy contrastive", wrong.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void End_to_end_epochs_override_the_contrastive_recipe_and_need_that_strategy()
    {
        var parsed = DemoCommandLine.Parse(["--train", Train, "--test", Test, "--strategy", "contrastive", "--end-to-end-epochs", "7"]);
        Assert.Equal(7, Assert.IsType<DemoArguments>(parsed.Arguments).TrainerOptions().Contrastive.EndToEndEpochs);

        var wrong = DemoCommandLine.Parse(["--train", Train, "--test", Test, "--strategy", "full", "--end-to-end-epochs", "2"]);
        Assert.Null(wrong.Arguments);
        Assert.Contains("--end-to-end-epochs needs --strategy contrastive", wrong.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_strategy_the_demo_trains_the_recipes_default_contrastive()
    {
        var arguments = Assert.IsType<DemoArguments>(DemoCommandLine.Parse(["--train", Train, "--test", Test]).Arguments);

        Assert.Equal(Recipe.DefaultStrategy, arguments.Strategy);
        Assert.Equal(TrainingStrategy.Contrastive, arguments.TrainerOptions().Strategy);
        Assert.Equal(Recipe.TrainerOptions(TrainingStrategy.Contrastive, Recipe.Seed).Contrastive.Iterations,
            arguments.TrainerOptions().Contrastive.Iterations);
        Assert.Equal(DemoCommandLine.Parse(["--train", Train, "--test", Test, "--strategy", "contrastive"]).Arguments, arguments);
    }

    [Fact]
    public void Quantization_maps_to_the_encoder_setting_and_defaults_to_none()
    {
        var int8 = DemoCommandLine.Parse(["--train", Train, "--test", Test, "--quantization", "int8"]);
        var none = DemoCommandLine.Parse(["--train", Train, "--test", Test, "--quantization", "none"]);
        var unset = DemoCommandLine.Parse(["--train", Train, "--test", Test]);
        var unknown = DemoCommandLine.Parse(["--train", Train, "--test", Test, "--quantization", "INT8"]);

        Assert.Equal(EncoderQuantization.Int8, Assert.IsType<DemoArguments>(int8.Arguments).Quantization);
        Assert.Equal(EncoderQuantization.None, Assert.IsType<DemoArguments>(none.Arguments).Quantization);
        Assert.Equal(none.Arguments, unset.Arguments);
        Assert.False(unset.Arguments!.CompareQuantization);
        Assert.Null(unknown.Arguments);
        Assert.Contains("Unknown quantization 'INT8' (expected none, int8)", unknown.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_quantization_needs_cross_validation_and_no_quantization()
    {
        var compare = DemoCommandLine.Parse(["--train", Train, "--cross-validate", "3", "--compare-quantization"]);
        var withoutFolds = DemoCommandLine.Parse(["--train", Train, "--test", Test, "--compare-quantization"]);
        var withQuantization = DemoCommandLine.Parse(["--train", Train, "--cross-validate", "3", "--compare-quantization", "--quantization", "none"]);

        var arguments = Assert.IsType<DemoArguments>(compare.Arguments);
        Assert.True(arguments.CompareQuantization);
        Assert.Equal(EncoderQuantization.None, arguments.Quantization);
        Assert.Contains("--compare-quantization needs --train and --cross-validate K", withoutFolds.Error, StringComparison.Ordinal);
        Assert.Contains("--compare-quantization evaluates both float32 and int8; drop --quantization", withQuantization.Error, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Train_mode_with_int8_evaluates_on_the_int8_engine()
    {
        Skip.IfNot(Int8Cpu.Supported, Int8Cpu.SkipReason);

        var (code, output, error) = Run("--train", Train, "--test", Test, "--model", folder.Model, "--strategy", "heads", "--epochs", "2",
            "--quantization", "int8");

        Assert.True(code == DemoApp.Success, error);
        Assert.Contains("6 examples, inference engine (int8, ", output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Compare_quantization_trains_each_fold_once_and_scores_it_in_float32_and_int8_leaving_no_folder()
    {
        Skip.IfNot(Int8Cpu.Supported, Int8Cpu.SkipReason);
        string[] common = ["--train", Train, "--cross-validate", "2", "--model", folder.Model, "--strategy", "heads", "--epochs", "2"];
        var before = Directory.GetDirectories(Path.GetTempPath(), "sentencemtl-demo-*").ToHashSet();

        var (code, output, error) = Run([.. common, "--compare-quantization"]);
        var (plainCode, plainOutput, plainError) = Run(common);

        Assert.True(code == DemoApp.Success, error);
        Assert.True(plainCode == DemoApp.Success, plainError);
        Assert.Subset(before, Directory.GetDirectories(Path.GetTempPath(), "sentencemtl-demo-*").ToHashSet());
        var compared = FoldScores(output);
        var float32 = FoldScores(plainOutput);
        Assert.Equal(["sentiment float32", "sentiment int8", "topic float32", "topic int8"], compared.Keys.Order(StringComparer.Ordinal));
        Assert.All(compared.Values, scores => Assert.Equal(2, scores.Length));
        // The float32 columns are the scores of the same models cross-validated without the comparison.
        Assert.Equal(float32["topic macro-F1"], compared["topic float32"]);
        Assert.Equal(float32["sentiment macro-F1"], compared["sentiment float32"]);
    }

    /// <summary>Per column, the folds' scores from the plain lines <c>fold i/k: name score, name score (time)</c>.</summary>
    private static Dictionary<string, string[]> FoldScores(string output) =>
        output.Split('\n').Select(line => FoldLine().Match(line.TrimEnd())).Where(match => match.Success)
            .SelectMany(match => match.Groups["cells"].Value.Split(", "))
            .Select(cell => (Name: cell[..cell.LastIndexOf(' ')], Score: cell[(cell.LastIndexOf(' ') + 1)..]))
            .GroupBy(cell => cell.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(cell => cell.Score).ToArray(), StringComparer.Ordinal);

    [GeneratedRegex(@"^fold \d+/\d+: (?<cells>.+) \(\d+\.\d s\)$")]
    private static partial Regex FoldLine();

    [Fact]
    public void Dataset_errors_exit_with_1_and_the_message()
    {
        string bad = Path.Combine(folder.Path, "bad.jsonl");
        File.WriteAllText(bad, "{\"text\": \"x\", \"topic\": \"Sports\", \"sentiment\": \"Happy\"}\n", System.Text.Encoding.UTF8);

        var (code, _, error) = Run("--train", bad, "--test", Test, "--model", folder.Model);

        Assert.Equal(DemoApp.Failure, code);
        Assert.Contains("bad.jsonl:1:", error);
        Assert.Contains("Happy", error);
    }

    [Fact]
    public void Train_mode_writes_metrics_json_with_one_report_per_task_a_saved_model_and_plots()
    {
        string metrics = Path.Combine(folder.Path, "out", "metrics.json");
        string saved = Path.Combine(folder.Path, "saved");
        string plots = Path.Combine(folder.Path, "plots");

        var (code, output, error) = Run("--train", Train, "--test", Test, "--model", folder.Model, "--epochs", "2",
            "--metrics-json", metrics, "--save", saved, "--plots", plots);

        Assert.True(code == DemoApp.Success, error);
        Assert.Contains("classification report", output);
        using var json = JsonDocument.Parse(File.ReadAllText(metrics, System.Text.Encoding.UTF8));
        Assert.Equal(["topic", "sentiment"], json.RootElement.EnumerateObject().Select(p => p.Name));
        foreach (var task in Recipe.Tasks)
        {
            var report = json.RootElement.GetProperty(task.Name);
            Assert.Equal([.. task.Labels, "accuracy", "macro avg", "weighted avg"], report.EnumerateObject().Select(p => p.Name));
            Assert.Equal(6, report.GetProperty("macro avg").GetProperty("support").GetInt32());
        }
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(metrics)!)); // no temporary file left behind
        using (var model = MultiTaskModel.Load(saved))
        {
            Assert.Equal(Recipe.Tasks, model.Tasks);
        }
        Assert.Equal(["confusion_sentiment.png", "confusion_topic.png", "loss.png"],
            Directory.GetFiles(plots).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Stratified_folds_partition_the_data_and_balance_every_stratum()
    {
        string[] strata = [.. Enumerable.Range(0, 53).Select(i => (i % 7 == 0 ? "rare" : i % 2 == 0 ? "even" : "odd"))];

        var folds = StratifiedKFold.Split(strata, 5, seed: 1);

        Assert.Equal(Enumerable.Range(0, 53), folds.SelectMany(f => f).Order());
        Assert.True(folds.Max(f => f.Length) - folds.Min(f => f.Length) <= 1);
        foreach (var stratum in strata.Distinct())
        {
            var perFold = folds.Select(f => f.Count(i => strata[i] == stratum)).ToArray();
            Assert.True(perFold.Max() - perFold.Min() <= 1, stratum);
        }
        Assert.Equal(folds, StratifiedKFold.Split(strata, 5, seed: 1));
        Assert.NotEqual(folds, StratifiedKFold.Split(strata, 5, seed: 2));
    }
}
