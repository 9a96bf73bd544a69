using SentenceMtl.Demo;
using Spectre.Console;

// First Ctrl+C stops training between steps (exit 130); a second one ends the process at once.
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = !cancellation.IsCancellationRequested;
    cancellation.Cancel();
};
if (Console.IsOutputRedirected)
{
    AnsiConsole.Profile.Width = 120; // a log file has no window: wrap at 120 columns, not Spectre's fallback of 80
}
return DemoApp.Run(args, AnsiConsole.Console, Console.Error, cancellation.Token);
