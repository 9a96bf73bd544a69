using SharpFuzz;

namespace SentenceMtl.Fuzz;

/// <summary>
/// The SharpFuzz entry point: <c>SentenceMtl.Fuzz safetensors|dataset|config|pytorch</c>. Under afl-fuzz it serves inputs until
/// afl-fuzz stops it; run by hand it reads one input from standard input, so a saved crash replays with
/// <c>dotnet SentenceMtl.Fuzz.dll dataset &lt; crash-file</c> and prints the exception.
/// </summary>
internal static class Program
{
    private const string Usage = "usage: SentenceMtl.Fuzz <safetensors|dataset|config|pytorch>  (the input comes on standard input)";

    private static int Main(string[] args)
    {
        Action<Stream>? target = args switch
        {
            ["safetensors"] => SafetensorsTarget.Run,
            ["dataset"] => DatasetTarget.Run,
            ["config"] => ConfigTarget.Run,
            ["pytorch"] => PytorchTarget.Run,
            _ => null,
        };
        if (target is null)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }

        // Out of process: a child that dies (stack overflow) or hangs is restarted instead of ending the campaign.
        Fuzzer.OutOfProcess.Run(target);
        return 0;
    }
}
