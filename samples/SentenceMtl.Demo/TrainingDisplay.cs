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
        int epochs = trainer.Options.SupervisedEpochs;                                          // the heads', then any end-to-end epochs
        var watch = Stopwatch.StartNew();
        TrainingResult? result = null;
        if (IsInteractive(console))
        {
            console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    var bar = context.AddTask(Markup.Escape(title), maxValue: 1);
                    var pairs = new PairRate(trainer.Options.Contrastive.BatchSize);
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
                            ? Invariant($"{title}  backbone on pairs  {pairs.PerSecond(p.Step):F1} pairs/s  pair loss {p.Loss:F3}")
                            : Invariant($"{title}  epoch {p.Epoch}/{epochs}  loss {p.Loss:F3}{validationF1}"));
                    });
                    result = trainer.Train(train, validation, progress, cancellationToken);
                    bar.Value = bar.MaxValue;
                });
        }
        else
        {
            var lines = epochLines ? EpochLines(console, epochs, trainer.Options.Contrastive.BatchSize) : null;
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
    // with the contrastive strategy a line every tenth of its backbone stage (pairs/s, time left) and one when it ends.
    private static CallbackProgress<TrainingProgress> EpochLines(IAnsiConsole console, int epochs, int pairsPerStep)
    {
        var pairs = new PairRate(pairsPerStep);
        return new(p =>
        {
            if (p.Stage == TrainingStage.Contrastive && p.Step == p.TotalSteps)
            {
                console.WriteLine(Invariant($"backbone on pairs: {p.TotalSteps} steps, {pairs.PerSecond(p.Step):F1} pairs/s, last pair loss {p.Loss:F4}"));
            }
            else if (p.Stage == TrainingStage.Contrastive && p.Step % Math.Max(1, p.TotalSteps / 10) == 0)
            {
                double rate = pairs.PerSecond(p.Step);
                console.WriteLine(Invariant(
                    $"backbone on pairs: step {p.Step}/{p.TotalSteps}, {rate:F1} pairs/s, {pairs.Left(p.Step, p.TotalSteps):F0} s left, pair loss {p.Loss:F4}"));
            }
            else if (p.IsEpochEnd)
            {
                console.WriteLine(Describe(p.Epoch, epochs, p.Loss, p.TaskLosses, p.ValidationMacroF1));
            }
        });
    }

    /// <summary>Pairs per second of the contrastive stage since its first report, and the seconds it has left at that rate.</summary>
    private sealed class PairRate(int pairsPerStep)
    {
        private Stopwatch? watch;
        private int firstStep;

        public double PerSecond(int step)
        {
            if (watch is null)
            {
                (watch, firstStep) = (Stopwatch.StartNew(), step);
            }
            double seconds = watch.Elapsed.TotalSeconds;
            return seconds > 0 ? (step - firstStep) * pairsPerStep / seconds : 0;
        }

        public double Left(int step, int totalSteps) =>
            watch is { } w && step > firstStep ? w.Elapsed.TotalSeconds / (step - firstStep) * (totalSteps - step) : 0;
    }

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);
}
