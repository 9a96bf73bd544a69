using Xunit.Abstractions;

namespace SentenceMtl.Tests.MultiTask;

/// <summary>
/// A multi-task model on an int8 encoder: training embeds in float32 through libtorch whatever the encoder's
/// quantization, so the trained weights are those of a float32 model bit for bit; predictions afterwards run on the
/// int8 engine and agree with float32's. MiniLM heads on news_train, trained once per quantization for the class.
/// </summary>
[Collection(GlobalRngCollection.Name)]
public sealed class MultiTaskModelQuantizationTests(MultiTaskModelQuantizationTests.TrainedModels trained, ITestOutputHelper output)
    : IClassFixture<MultiTaskModelQuantizationTests.TrainedModels>
{
    /// <summary>Share of (sentence, task) predictions that must agree between int8 and float32.</summary>
    private const double MinimumAgreement = 0.95;

    /// <summary>The same model trained twice with the same seed: on a float32 encoder and on an int8 one.</summary>
    public sealed class TrainedModels : IDisposable
    {
        public TrainedModels()
        {
            Data = MultiTaskDataset.Load(TestPaths.NewsTrain, [TaskDefinition.Topic, TaskDefinition.Sentiment]);
            Float32 = Train(EncoderQuantization.None);
            Int8 = Int8Cpu.Supported ? Train(EncoderQuantization.Int8) : null;
        }

        public MultiTaskDataset Data { get; }

        public MultiTaskModel Float32 { get; }

        /// <summary>Null when this CPU cannot run the int8 kernels (the tests that need it skip).</summary>
        public MultiTaskModel? Int8 { get; }

        private MultiTaskModel Train(EncoderQuantization quantization)
        {
            var model = MultiTaskModel.Create("all-MiniLM-L6-v2", TinyModel.TopicAndSentiment(new MultiTaskModelOptions { Seed = 5 }),
                new SentenceEncoderOptions { Quantization = quantization });
            new MultiTaskTrainer(model, new TrainerOptions { Strategy = TrainingStrategy.HeadsOnly, Epochs = 20, Seed = 5 }).Train(Data);
            return model;
        }

        public void Dispose()
        {
            Float32.Dispose();
            Int8?.Dispose();
        }
    }

    [SkippableFact]
    public void Training_on_an_int8_encoder_gives_the_float32_weights_bit_for_bit()
    {
        var int8 = Int8Model();
        var expected = trained.Float32.HeadStateDicts()!.SelectMany(h => h.Value.Select(kv => ($"heads.{h.Key}.{kv.Key}", kv.Value.Bytes)))
            .Concat(trained.Float32.Encoder.ReadWeights().Select(t => ("backbone." + t.Name, t.Bytes))).ToDictionary();
        var actual = int8.HeadStateDicts()!.SelectMany(h => h.Value.Select(kv => ($"heads.{h.Key}.{kv.Key}", kv.Value.Bytes)))
            .Concat(int8.Encoder.ReadWeights().Select(t => ("backbone." + t.Name, t.Bytes))).ToDictionary();

        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        Assert.Contains(expected.Keys, name => name.StartsWith("heads.", StringComparison.Ordinal));
        Assert.All(expected.Keys, name => Assert.True(expected[name].SequenceEqual(actual[name]), name));
    }

    [SkippableFact]
    public void After_training_an_int8_model_predicts_on_the_int8_engine_like_float32()
    {
        var int8 = Int8Model();

        Assert.Contains("int8", int8.Encoder.InferenceBackend, StringComparison.Ordinal);
        Assert.DoesNotContain("int8", trained.Float32.Encoder.InferenceBackend, StringComparison.Ordinal);
        AssertAgreesWithFloat32(int8, "trained on an int8 encoder");
    }

    [SkippableFact]
    public void A_saved_model_loaded_with_int8_predicts_on_the_int8_engine_like_float32()
    {
        var int8 = Int8Model();
        using var folder = new TempFolder();
        string saved = Path.Combine(folder.Path, "saved");
        trained.Float32.Save(saved);

        using var loaded = MultiTaskModel.Load(saved, new SentenceEncoderOptions { Quantization = EncoderQuantization.Int8 });

        Assert.Equal(EncoderQuantization.Int8, loaded.Encoder.Quantization);
        Assert.Contains("int8", loaded.Encoder.InferenceBackend, StringComparison.Ordinal);
        AssertAgreesWithFloat32(loaded, "loaded with Quantization = Int8");
        // The same float32 weights quantized by the same engine: the labels of the model trained on an int8 encoder.
        var texts = trained.Data.Texts;
        Assert.Equal(Labels(int8.Predict(texts)), Labels(loaded.Predict(texts)));
    }

    /// <summary>The model trained on an int8 encoder; skips the test on a CPU that cannot run the int8 kernels.</summary>
    private MultiTaskModel Int8Model()
    {
        Skip.If(trained.Int8 is null, Int8Cpu.SkipReason);
        return trained.Int8!;
    }

    /// <summary>Predicts the training sentences with <paramref name="int8"/> and the float32 model and requires
    /// <see cref="MinimumAgreement"/> of the (sentence, task) labels to be equal, per task and over both.</summary>
    private void AssertAgreesWithFloat32(MultiTaskModel int8, string what)
    {
        var texts = trained.Data.Texts;
        var expected = trained.Float32.Predict(texts);
        var actual = int8.Predict(texts);
        foreach (var task in trained.Float32.Tasks)
        {
            int same = Enumerable.Range(0, texts.Count).Count(i => expected[i][task.Name].Label == actual[i][task.Name].Label);
            output.WriteLine($"{what}: {task.Name} labels equal to float32's on {same} of {texts.Count} training sentences");
            Assert.True(same >= MinimumAgreement * texts.Count, $"{task.Name}: {same} of {texts.Count} labels agree with float32");
        }

        Assert.NotEqual(Probabilities(expected), Probabilities(actual));                       // int8 really ran
    }

    private static string[] Labels(IReadOnlyList<SentencePrediction> predictions) =>
        [.. predictions.SelectMany(p => p.Tasks.Select(t => t.Label))];

    private static float[] Probabilities(IReadOnlyList<SentencePrediction> predictions) =>
        [.. predictions.SelectMany(p => p.Tasks.SelectMany(t => t.Probabilities))];
}
