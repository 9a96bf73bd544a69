using SentenceMtl.Demo;

namespace SentenceMtl.Tests.Samples;

/// <summary>The demo without <c>--train</c> (its front page) and its pieces: pooling table, search, save/load in int8, help.</summary>
[Collection(DemoTests.Collection)]
public sealed class FrontPageDemoTests : IDisposable
{
    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    [SkippableFact]
    public void Without_train_it_runs_every_section_on_the_recipe_with_a_time_per_stage_and_leaves_no_folder()
    {
        Skip.IfNot(Int8Cpu.Supported, Int8Cpu.SkipReason);
        // The default strategy (contrastive, pairs capped) on the tiny backbone, with 2 head epochs to stay quick.
        var (code, output, error) = DemoTests.Run("--model", folder.Model, "--epochs", "2");

        Assert.True(code == DemoApp.Success, error);
        Assert.Equal("", error);
        Assert.Contains("was trained with Mean pooling (*)", output, StringComparison.Ordinal);
        Assert.All(SearchExample.Queries, query => Assert.Contains(query, output, StringComparison.Ordinal));
        Assert.Contains("trained on 150 sentences", output, StringComparison.Ordinal);
        Assert.Contains($"at most {Recipe.FrontPageMaxPairs} pairs", output, StringComparison.Ordinal);
        int batch = Recipe.TrainerOptions(TrainingStrategy.Contrastive, Recipe.Seed).Contrastive.BatchSize;
        int steps = (Recipe.FrontPageMaxPairs + batch - 1) / batch;
        Assert.Contains($"{Recipe.FrontPageMaxPairs} pairs in {steps} step{(steps == 1 ? "" : "s")}, ", output, StringComparison.Ordinal);
        Assert.Contains("saved, loaded back in int8: ", output, StringComparison.Ordinal);
        string[] stages = ["embed: load backbone", "search", "train: backbone on pairs", "train: heads + set-up", "save", "load (int8)", "predict (int8)", "total"];
        foreach (var stage in stages)
        {
            Assert.Matches($@"│ {System.Text.RegularExpressions.Regex.Escape(stage)} +│ +\d+\.\d s │", output);
        }
    }

    [Fact]
    public void The_search_finds_each_querys_answer_first_with_all_MiniLM()
    {
        using var encoder = SentenceEncoder.FromPretrained(Recipe.ModelName);

        var hits = SearchExample.Run(encoder, CancellationToken.None);

        Assert.Equal(SearchExample.Queries.Count, hits.Count);
        Assert.All(hits, list => Assert.Equal(SearchExample.TopK, list.Count));
        // The password, refund and basil documents: the answers share almost no words with their queries.
        Assert.Equal([0, 2, 4], hits.Select(list => list[0].CorpusIndex));
        Assert.All(hits, list => Assert.True(list[0].Score - list[1].Score > 0.2f, $"{list[0].Score} vs {list[1].Score}"));
    }

    [Fact]
    public void Mean_pooling_separates_paraphrases_from_unrelated_pairs_better_than_cls_and_max()
    {
        var encoders = PoolingComparison.Poolings.ToDictionary(p => p,
            p => SentenceEncoder.FromPretrained(Recipe.ModelName, new SentenceEncoderOptions { Pooling = p }));
        try
        {
            var similarities = PoolingComparison.Similarities(p => encoders[p], CancellationToken.None);

            var gaps = PoolingComparison.Poolings.Select((p, i) => (Pooling: p, Gap: PoolingComparison.Gap(similarities[i]))).ToList();
            Assert.Equal(PoolingStrategy.Mean, gaps.MaxBy(g => g.Gap).Pooling);
            Assert.All(gaps, g => Assert.True(g.Gap > 0, $"{g.Pooling}: {g.Gap}"));
        }
        finally
        {
            foreach (var encoder in encoders.Values)
            {
                encoder.Dispose();
            }
        }
    }

    [SkippableFact]
    public void The_round_trip_saves_loads_in_int8_times_each_stage_and_deletes_only_its_folder()
    {
        Skip.IfNot(Int8Cpu.Supported, Int8Cpu.SkipReason);
        using var model = Recipe.CreateModel(folder.Model, TrainingStrategy.HeadsOnly, Recipe.Seed, EncoderQuantization.None);
        var train = DataFiles.Load(Path.Combine(TestPaths.RepoRoot, "samples", "SentenceMtl.Demo", "data", "demo_train.jsonl"));
        new MultiTaskTrainer(model, Recipe.TrainerOptions(TrainingStrategy.HeadsOnly, Recipe.Seed) with { Epochs = 2 }).Train(train);
        var original = model.Predict(train.Texts);
        var times = new StageTimes();
        string beside = Directory.CreateTempSubdirectory("sentencemtl-test-beside-").FullName;           // a sibling: must survive

        var copy = SavedModelRoundTrip.Run(model, train.Texts, times, CancellationToken.None);

        Assert.Equal(EncoderQuantization.Int8, copy.Quantization);
        Assert.Null(copy.Note);
        Assert.Equal(["save", "load (int8)", "predict (int8)"], times.Stages.Select(s => s.Stage));
        Assert.All(times.Stages, s => Assert.True(s.Time > TimeSpan.Zero, s.Stage));
        Assert.Equal(original.Count, copy.Predictions.Count);
        Assert.Equal(original.Select(p => p.Text), copy.Predictions.Select(p => p.Text));
        Assert.StartsWith("saved, loaded back in int8: ", ClassifierExample.Agreement(original, copy), StringComparison.Ordinal);
        Assert.StartsWith(Path.GetFullPath(Path.GetTempPath()), copy.Folder, StringComparison.Ordinal);
        Assert.False(Directory.Exists(copy.Folder));
        Assert.True(Directory.Exists(beside));
        Directory.Delete(beside);
        Assert.False(model.Encoder.Quantization == EncoderQuantization.Int8); // the model itself is untouched
    }

    [Fact]
    public void Help_lists_the_other_modes_as_command_lines_and_exits_0()
    {
        var (code, output, error) = DemoTests.Run("--help");

        Assert.Equal(DemoApp.Success, code);
        Assert.Equal("", error);
        Assert.Contains("Examples (from the repository root):", output, StringComparison.Ordinal);
        Assert.All(HelpWithExamples.Examples, example =>
            Assert.Contains($"dotnet run --project samples/SentenceMtl.Demo -- {example.Arguments}".TrimEnd(' ', '-'), output, StringComparison.Ordinal));
        Assert.Contains("--cross-validate", output, StringComparison.Ordinal);
    }
}
