using System.Text.Json;
using SentenceMtl.Demo;
using Spectre.Console;

namespace SentenceMtl.Tests.Samples;

public sealed class DemoTests : IDisposable
{
    private static readonly string DemoData = Path.Combine(TestPaths.RepoRoot, "samples", "SentenceMtl.Demo", "data");
    private static readonly string Train = Path.Combine(DemoData, "demo_train.jsonl");
    private static readonly string Test = Path.Combine(DemoData, "demo_test.jsonl");

    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    private static (int ExitCode, string Output, string Error) Run(params string[] args)
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
