using System.CommandLine;
using Spectre.Console;

namespace SentenceMtl.Demo;

/// <summary>Runs the demo: parses the command line, picks the mode and turns expected failures into exit codes.</summary>
internal static class DemoApp
{
    /// <summary>Exit code of a successful run.</summary>
    public const int Success = 0;

    /// <summary>Exit code when a dataset or model cannot be read, or an output cannot be written.</summary>
    public const int Failure = 1;

    /// <summary>Exit code of bad command-line input.</summary>
    public const int Usage = 2;

    /// <summary>Exit code after Ctrl+C (128 + SIGINT, as shells report it).</summary>
    public const int Cancelled = 130;

    /// <summary>Runs the demo with <paramref name="args"/>.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="console">Where results go.</param>
    /// <param name="error">Where one-line errors go.</param>
    /// <param name="cancellationToken">Stops training between steps.</param>
    /// <returns>The process exit code.</returns>
    public static int Run(IReadOnlyList<string> args, IAnsiConsole console, TextWriter error, CancellationToken cancellationToken = default)
    {
        var parsed = DemoCommandLine.Parse(args);
        if (parsed.Error is not null)
        {
            error.WriteLine($"error: {parsed.Error} (see --help)");
            return Usage;
        }
        if (parsed.Arguments is not { } arguments)
        {
            return parsed.Result.Invoke(new InvocationConfiguration { Output = console.Profile.Out.Writer, Error = error });
        }
        try
        {
            return arguments switch
            {
                { TrainPath: null } => FrontPageDemo.Run(console, arguments, cancellationToken),
                { CrossValidationFolds: not null } => CrossValidationCommand.Run(console, arguments, cancellationToken),
                _ => TrainCommand.Run(console, arguments, cancellationToken),
            };
        }
        catch (UsageException ex)
        {
            error.WriteLine($"error: {ex.Message} (see --help)");
            return Usage;
        }
        catch (Exception ex) when (ex is DatasetFormatException or ModelFormatException or IOException or UnauthorizedAccessException
            or NotSupportedException)
        {
            // IOException covers FileNotFoundException and DirectoryNotFoundException; NotSupportedException is an int8
            // model this machine's inference engine cannot run (the message says why).
            error.WriteLine($"error: {ex.Message}");
            return Failure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            error.WriteLine("cancelled");
            return Cancelled;
        }
    }
}
