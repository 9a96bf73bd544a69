using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace SentenceMtl.Benchmarks;

/// <summary>
/// <c>--profile</c>: diagnostics behind the <c>--compare</c> breakdown. Forward time of both runtimes at one and two
/// threads on the same batches (does the second thread pay off, for whom?), a stage breakdown of batch-of-1 calls, and
/// TorchSharp's cost per operation on small tensors (what a forward of a few hundred small ops pays regardless of size). Measured in alternation,
/// best of <see cref="Rounds"/>.
/// </summary>
internal static class ProfileMode
{
    private const int Rounds = 3;

    /// <summary>Runs the diagnostics and prints Markdown.</summary>
    public static int Run()
    {
        BenchmarkEnvironment.InitializeTorch();
        using var ours = SentenceEncoder.FromPretrained(BenchmarkEnvironment.ModelName);
        using var ort1 = OrtPipeline.Create(ours.TokenizeAll, threads: 1);
        using var ort2 = OrtPipeline.Create(ours.TokenizeAll, threads: 2);
        Corpus[] corpora = [Corpus.Load("sentences", 500), Corpus.Load("paragraphs", 100)];
        Console.WriteLine($"### Forward only (ORT `Run` vs `Backbone.forward`), ms, best of {Rounds}; OMP_WAIT_POLICY={Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "(unset)"}");
        Console.WriteLine();
        Console.WriteLine("| corpus | ORT 1 thread | ORT 2 threads | SentenceMtl 1 thread | SentenceMtl 2 threads | SentenceMtl / ORT at 2 |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (var corpus in corpora)
        {
            var best = new Dictionary<string, double>(StringComparer.Ordinal);
            void Keep(string key, double ms) => best[key] = Math.Min(best.GetValueOrDefault(key, double.MaxValue), ms);
            for (int round = 0; round < Rounds + 1; round++)                                    // round 0 warms up
            {
                foreach (var (key, ort) in new[] { ("ort1", ort1), ("ort2", ort2) })
                {
                    ort.Profile = new StageTimes();
                    ort.Encode(corpus.Texts);
                    if (round > 0)
                    {
                        Keep(key, ort.Profile["forward"].TotalMilliseconds);
                    }
                }

                foreach (int threads in new[] { 1, 2 })
                {
                    torch.set_num_threads(threads);
                    double ms = SentenceMtlProfiler.Profile(ours, corpus.Texts, kernelThreads: threads)["forward"].TotalMilliseconds;
                    if (round > 0)
                    {
                        Keep($"ours{threads}", ms);
                    }
                }

                torch.set_num_threads(BenchmarkEnvironment.Threads);
            }

            Console.WriteLine($"| {corpus.Name} ({corpus.Texts.Length}) | {best["ort1"]:F0} | {best["ort2"]:F0} | {best["ours1"]:F0} | {best["ours2"]:F0} | {best["ours2"] / best["ort2"]:F2}× |");
        }

        Console.WriteLine();
        Console.WriteLine($"### Batch of 1: where a call's time goes (µs per sentence, 200 sentences, best of {Rounds})");
        Console.WriteLine();
        var single = Corpus.Load("sentences", 200).Texts;
        StageTimes? ortBest = null, oursBest = null;
        var linears = TimeSpan.MaxValue;
        for (int round = 0; round < Rounds + 1; round++)                                        // round 0 warms up
        {
            ort2.Profile = new StageTimes();
            var mine = new StageTimes();
            var gemm = TimeSpan.Zero;
            foreach (string text in single)                                                      // one runtime at a time: their
            {                                                                                    // idle threads spin for a while
                ort2.Encode([text]);
            }

            foreach (string text in single)
            {
                foreach (var (stage, total) in SentenceMtlProfiler.Profile(ours, [text], BenchmarkEnvironment.Threads).Stages)
                {
                    mine.Add(stage, total);
                }
            }

            foreach (string text in single)
            {
                gemm += SentenceMtlProfiler.LinearLayersOnly(ours, [text], prepacked: true, BenchmarkEnvironment.Threads);
            }

            if (round > 0 && (ortBest is null || ort2.Profile.Total < ortBest.Total))
            {
                ortBest = ort2.Profile;
            }

            if (round > 0 && (oursBest is null || mine.Total < oursBest.Total))
            {
                oursBest = mine;
            }

            linears = round > 0 && gemm < linears ? gemm : linears;
        }

        ort2.Profile = null;
        string PerSentence(TimeSpan t) => $"{t.TotalMicroseconds / single.Length:F0}";
        Console.WriteLine("| stage | ORT | SentenceMtl |");
        Console.WriteLine("|---|---:|---:|");
        foreach (string stage in new[] { "tokenize", "collate", "forward" })
        {
            Console.WriteLine($"| {stage} | {PerSentence(ortBest![stage])} | {PerSentence(oursBest![stage])} |");
        }

        Console.WriteLine($"| &nbsp;&nbsp;of which the 36 linear layers alone (prepacked kernel) | | {PerSentence(linears)} |");
        Console.WriteLine($"| pool + normalize + copy | {PerSentence(ortBest!["pool + copy"])} | {PerSentence(oursBest!["pool + normalize"] + oursBest["copy out"])} |");
        Console.WriteLine($"| total | {PerSentence(ortBest.Total)} | {PerSentence(oursBest.Total)} |");
        Console.WriteLine();
        Console.WriteLine("### TorchSharp cost per op on small tensors (µs, inference mode, best of 3)");
        Console.WriteLine();
        Console.WriteLine("| op | 1 thread | 2 threads |");
        Console.WriteLine("|---|---:|---:|");
        using var inference = inference_mode();
        using var small = randn(32, 16, 384);                                                    // a short batch: (B, T, H)
        using var weight = randn(384, 384);
        using var bias = randn(384);
        using var tiny = randn(1, 384);
        using var sentence = randn(1, 13, 384);                                                  // one short sentence: (1, T, H)
        using var wide = randn(1536, 384);
        using var wideBias = randn(1536);
        foreach (var (name, op) in new (string, Func<Tensor>)[]
        {
            ("`add` (32, 16, 384)", () => small.add(small)),
            ("`linear` (32·16, 384) → 384", () => nn.functional.linear(small, weight, bias)),
            ("`linear` (1·13, 384) → 384 (batch of 1)", () => nn.functional.linear(sentence, weight, bias)),
            ("`linear` (1·13, 384) → 1536 (batch of 1)", () => nn.functional.linear(sentence, wide, wideBias)),
            ("`layer_norm` (32, 16, 384)", () => nn.functional.layer_norm(small, [384])),
            ("`add` (1, 384) — pure overhead", () => tiny.add(tiny)),
            ("`cat` of three (384, 384) weights (fused QKV built per call)", () => cat([weight, weight, weight])),
        })
        {
            var perThreads = new[] { 1, 2 }.Select(threads =>
            {
                torch.set_num_threads(threads);
                return Enumerable.Range(0, Rounds).Min(_ => PerOp(op));
            }).ToArray();
            Console.WriteLine($"| {name} | {perThreads[0]:F1} | {perThreads[1]:F1} |");
        }

        torch.set_num_threads(BenchmarkEnvironment.Threads);
        return 0;
    }

    private static double PerOp(Func<Tensor> op)
    {
        const int count = 2000;
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++)
        {
            using var scope = NewDisposeScope();
            op();
        }

        return Stopwatch.GetElapsedTime(start).TotalMicroseconds / count;
    }
}
