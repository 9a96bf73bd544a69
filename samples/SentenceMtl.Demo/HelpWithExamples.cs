using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace SentenceMtl.Demo;

/// <summary>
/// <c>--help</c>: System.CommandLine's help, then what else the demo can do, as command lines to copy (run from the
/// repository root, where <c>data/news_train.jsonl</c> is).
/// </summary>
/// <param name="help">The standard help action it extends.</param>
internal sealed class HelpWithExamples(HelpAction help) : SynchronousCommandLineAction
{
    /// <summary>The examples: a command line and what it does, in the order a new user would try them.</summary>
    public static IReadOnlyList<(string Arguments, string What)> Examples { get; } =
    [
        ("", "the front page: similarity per pooling, search, a classifier trained, saved, loaded in int8, each stage timed"),
        ("--strategy heads", "the front page without the contrastive pair stage: only the heads train"),
        ("--pair-iterations 10", "the front page with the recipe's full pair stage (6,000 pairs on 150 sentences: about a minute on 2 cores)"),
        ("--train data/news_train.jsonl --test samples/SentenceMtl.Demo/data/demo_test.jsonl --save model --plots plots",
            "train on your data, print reports and confusion matrices, save the model, write PNG plots"),
        ("--train data/news_train.jsonl --cross-validate 5 --compare-quantization",
            "5-fold cross-validation of the recipe, each fold scored in float32 and int8"),
        ("--train data/news_train.jsonl --test samples/SentenceMtl.Demo/data/demo_test.jsonl --quantization int8 --metrics-json m.json",
            "evaluate the trained model on the int8 engine and write the reports as JSON"),
    ];

    /// <inheritdoc/>
    public override int Invoke(ParseResult parseResult)
    {
        int code = help.Invoke(parseResult);
        var output = parseResult.InvocationConfiguration.Output;
        output.WriteLine("Examples (from the repository root):");
        foreach (var (arguments, what) in Examples)
        {
            output.WriteLine($"  dotnet run --project samples/SentenceMtl.Demo{(arguments.Length > 0 ? " -- " + arguments : "")}");
            output.WriteLine($"      {what}");
        }
        return code;
    }
}
