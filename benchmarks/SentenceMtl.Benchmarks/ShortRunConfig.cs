using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace SentenceMtl.Benchmarks;

/// <summary>
/// A short BenchmarkDotNet job for second-long operations: 1 launch, 1 warm-up and 5 measured iterations of one
/// invocation each (the monitoring strategy: no pilot, no overhead runs), in process — so BenchmarkDotNet does not
/// rebuild the solution beside other builds, and both pipelines share this process. Results are grouped by category
/// with ONNX Runtime as each category's baseline.
/// </summary>
public sealed class ShortRunConfig : ManualConfig
{
    /// <summary>Creates the configuration.</summary>
    public ShortRunConfig()
    {
        AddJob(Job.Default
            .WithStrategy(RunStrategy.Monitoring)
            .WithLaunchCount(1)
            .WithWarmupCount(1)
            .WithIterationCount(5)
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithId("Short"));
        AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory);
        WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared));
    }
}
