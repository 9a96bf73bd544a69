using System.Globalization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

namespace SentenceMtl.Benchmarks;

/// <summary>
/// Entry point. Without a mode, BenchmarkDotNet (<c>--filter '*'</c>); <c>--compare</c> prints the side-by-side
/// Markdown report (<c>--compare --throughput</c>: its throughput table of ORT and the engine only); <c>--profile</c> runs thread-count and per-op diagnostics; <c>--search</c> compares top-10 search methods;
/// <c>--soak N [threads]</c> checks memory over N sentences; <c>--training</c>, <c>--training-profile</c> and
/// <c>--few-shot</c> measure training (speed, memory, a second few-shot task);
/// <c>--server [clients] [sentences] [server]</c> measures SentenceMtl.Server, in a process of its own, under concurrent load; <c>--rss-child</c> and <c>--load-child</c> are
/// the child processes of <c>--compare</c>.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        return args switch
        {
            ["--compare"] => CompareMode.Run(),
            ["--compare", "--throughput"] => CompareMode.Run(throughputOnly: true),
            ["--profile"] => ProfileMode.Run(),
            ["--search"] => SearchMode.Run(),
            ["--kernels"] => KernelMode.Run(),
            ["--int8-quality"] => QuantizationQualityMode.Run(),
            ["--soak", var n] => SoakMode.Run(int.Parse(n, CultureInfo.InvariantCulture)),
            ["--soak", var n, var threads] => SoakMode.Run(int.Parse(n, CultureInfo.InvariantCulture), int.Parse(threads, CultureInfo.InvariantCulture)),
            ["--rss-child", var pipeline, var corpus, var n] => ChildModes.Rss(pipeline, corpus, int.Parse(n, CultureInfo.InvariantCulture)),
            ["--load-child"] => ChildModes.Load(),
            ["--training", .. var rest] => TrainingMode.Run(rest),
            ["--training-profile", .. var rest] => TrainingProfileMode.Run(rest),
            ["--few-shot", .. var rest] => FewShotMode.Run(rest),
            ["--server", .. var rest] => ServerMode.RunAsync(
                rest.Length > 0 ? int.Parse(rest[0], CultureInfo.InvariantCulture) : 64,
                rest.Length > 1 ? int.Parse(rest[1], CultureInfo.InvariantCulture) : 2000,
                rest.Length > 2 ? rest[2] : null).GetAwaiter().GetResult(),
            _ => Run(args),
        };
    }

    private static int Run(string[] args)
    {
        // Results go beside this project (benchmarks/SentenceMtl.Benchmarks/BenchmarkDotNet.Artifacts), not the working directory.
        var artifacts = Path.Combine(ProjectDirectory(), "BenchmarkDotNet.Artifacts");
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, DefaultConfig.Instance.WithArtifactsPath(artifacts));
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }

    /// <summary>The folder of this project's .csproj above the executable, else the executable's folder.</summary>
    private static string ProjectDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SentenceMtl.Benchmarks.csproj")))
            {
                return dir.FullName;
            }
        }

        return AppContext.BaseDirectory;
    }
}
