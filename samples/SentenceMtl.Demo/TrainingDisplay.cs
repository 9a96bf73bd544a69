using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace SentenceMtl.Demo;

/// <summary>
/// Runs <see cref="MultiTaskTrainer.Train"/> with visible progress: a live progress bar on an interactive terminal,
/// otherwise (redirected output, CI) one plain line per epoch.
/// </summary>
internal static class TrainingDisplay
{
    /// <summary>Whether <paramref name="console"/> can show live progress (a terminal, not a file or a pipe).</summary>
    public static bool IsInteractive(IAnsiConsole console) =>
        console.Profile.Capabilities.Interactive && console.Profile.Capabilities.Ansi && !Console.IsOutputRedirected;

    /// <summary>Trains and times one run.</summary>
    /// <param name="console">Where progress goes.</param>
    /// <param name="trainer">The trainer.</param>
    /// <param name="train">Training data.</param>
    /// <param name="validation">Optional validation data.</param>
    /// <param name="title">What is being trained (shown with the progress).</param>
    /// <param name="epochLines">Without a live bar: print a line per epoch (false: print nothing).</param>
    /// <param name="cancellationToken">Stops training between steps.</param>
    /// <param name="observe">Also called with every progress report, on the training thread (e.g. to time a stage).</param>
    /// <returns>The trainer's result and the wall-clock training time.</returns>
    public static (TrainingResult Result, TimeSpan Elapsed) Train(IAnsiConsole console, MultiTaskTrainer trainer,
        MultiTaskDataset train, MultiTaskDataset? validation, string title, bool epochLines, CancellationToken cancellationToken,
        Action<TrainingProgress>? observe = null)
    {
        int epochs = trainer.Options.Epochs;
        var watch = Stopwatch.StartNew();
        TrainingResult? result = null;
        if (IsInteractive(console))
        {
            console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    var bar = context.AddTask(Markup.Escape(title), maxValue: 1);
                    string validationF1 = "";
                    var progress = new CallbackProgress<TrainingProgress>(p =>
                    {
                        observe?.Invoke(p);
                        if (p.ValidationMacroF1 is { Count: > 0 } f1)
                        {
                            validationF1 = Invariant($"  val macro-F1 {f1.Values.Average():F3}");
                        }
                        bar.MaxValue = p.TotalSteps;
                        bar.Value = p.Step;
                        bar.Description = Markup.Escape(p.Stage == TrainingStage.Contrastive
                            ? Invariant($"{title}  backbone on pairs  pair loss {p.Loss:F3}")
                            : Invariant($"{title}  epoch {p.Epoch}/{epochs}  loss {p.Loss:F3}{validationF1}"));
                    });
                    result = trainer.Train(train, validation, progress, cancellationToken);
                    bar.Value = bar.MaxValue;
                });
        }
        else
        {
            var lines = epochLines ? EpochLines(console, epochs) : null;
            var progress = observe is null ? lines : new CallbackProgress<TrainingProgress>(p =>
            {
                observe(p);
                lines?.Report(p);
            });
            result = trainer.Train(train, validation, progress, cancellationToken);
        }
        return (result!, watch.Elapsed);
    }

    /// <summary>Describes one epoch on one line: losses per task and total, and validation macro-F1 if any.</summary>
    public static string Describe(int epoch, int epochs, double loss, IReadOnlyDictionary<string, double> taskLosses,
        IReadOnlyDictionary<string, double>? validationMacroF1)
    {
        string width = epochs.ToString(CultureInfo.InvariantCulture);
        string line = Invariant($"epoch {epoch.ToString(CultureInfo.InvariantCulture).PadLeft(width.Length)}/{width}  loss {loss:F4}");
        line += Invariant($" ({string.Join(", ", taskLosses.Select(kv => Invariant($"{kv.Key} {kv.Value:F4}")))})");
        if (validationMacroF1 is { Count: > 0 })
        {
            line += Invariant($"  val macro-F1 {string.Join(", ", validationMacroF1.Select(kv => Invariant($"{kv.Key} {kv.Value:F3}")))}");
        }
        return line;
    }

    // The trainer reports after every step and once more at the end of each epoch (IsEpochEnd): one line per epoch, and
    // with the contrastive strategy one line when its backbone stage ends (its last step).
    private static CallbackProgress<TrainingProgress> EpochLines(IAnsiConsole console, int epochs) =>
        new(p =>
        {
            if (p.Stage == TrainingStage.Contrastive && p.Step == p.TotalSteps)
            {
                console.WriteLine(Invariant($"backbone on pairs: {p.TotalSteps} steps, last pair loss {p.Loss:F4}"));
            }
            else if (p.IsEpochEnd)
            {
                console.WriteLine(Describe(p.Epoch, epochs, p.Loss, p.TaskLosses, p.ValidationMacroF1));
            }
        });

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);
}
