using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;

namespace SentenceMtl.Benchmarks;

/// <summary>What the numbers were measured on, as a Markdown table.</summary>
internal static class MachineInfo
{
    /// <summary>CPU, cores, SIMD, .NET, TorchSharp/libtorch and ONNX Runtime versions, threads.</summary>
    public static IEnumerable<string> MarkdownLines()
    {
        var cpuinfo = File.Exists("/proc/cpuinfo") ? File.ReadAllLines("/proc/cpuinfo") : [];
        string model = Field(cpuinfo, "model name") ?? RuntimeInformation.ProcessArchitecture.ToString();
        int processors = cpuinfo.Count(l => l.StartsWith("processor", StringComparison.Ordinal));
        var flags = (Field(cpuinfo, "flags") ?? "").Split(' ');
        string simd = string.Join(" ", new[] { "avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile" }.Where(flags.Contains));
        yield return "| | |";
        yield return "|---|---|";
        yield return $"| CPU | {model} ({processors} logical processors in /proc/cpuinfo; {Environment.ProcessorCount} available to .NET; SIMD: {simd}) |";
        yield return $"| OS | {RuntimeInformation.OSDescription} |";
        yield return $"| .NET | {RuntimeInformation.FrameworkDescription} |";
        yield return $"| TorchSharp / libtorch | {Version(typeof(torch).Assembly)} / {torch.__version__} |";
        yield return $"| ONNX Runtime | {OrtEnv.Instance().GetVersionString()} (managed {Version(typeof(InferenceSession).Assembly)}) |";
        yield return $"| Load average at start (1 / 5 / 15 min) | {LoadAverage} |";
        yield return $"| Threads | libtorch `set_num_threads({BenchmarkEnvironment.Threads})` → {torch.get_num_threads()}; ORT IntraOp {BenchmarkEnvironment.Threads}, InterOp 1, sequential, ORT_ENABLE_ALL |";
    }

    /// <summary>The 1-, 5- and 15-minute load averages (other processes compete for the same cores), or "n/a".</summary>
    public static string LoadAverage =>
        File.Exists("/proc/loadavg") ? string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static string? Field(string[] cpuinfo, string name) =>
        cpuinfo.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal))?.Split(':', 2)[1].Trim();

    private static string Version(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? assembly.GetName().Version?.ToString() ?? "?";
}
