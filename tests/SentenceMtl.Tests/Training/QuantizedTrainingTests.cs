using SentenceMtl.Tests.MultiTask;

namespace SentenceMtl.Tests.Training;

/// <summary>
/// Training a backbone never runs in int8: the contrastive stage tunes the backbone through libtorch in float32 whatever
/// the encoder's quantization, and afterwards the engine is quantized again from the tuned weights.
/// </summary>
[Collection(GlobalRngCollection.Name)]
public sealed class QuantizedTrainingTests : IDisposable
{
    private static readonly TrainerOptions Options = new()
    {
        Strategy = TrainingStrategy.Contrastive,
        Epochs = 5,
        BatchSize = 5,
        Contrastive = new ContrastiveOptions { Iterations = 2, BatchSize = 8, LearningRate = 1e-3 },
    };

    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    private MultiTaskModel Train(EncoderQuantization quantization)
    {
        var model = MultiTaskModel.Create(folder.Model, encoderOptions: new SentenceEncoderOptions { Quantization = quantization });
        new MultiTaskTrainer(model, Options).Train(TinyData.Dataset());
        return model;
    }

    private static Dictionary<string, float[]> Weights(MultiTaskModel model) =>
        model.AllParametersByName().ToDictionary(p => p.Name, p => p.Parameter.data<float>().ToArray());

    [SkippableFact]
    public void Contrastive_training_on_an_int8_encoder_gives_the_float32_weights_then_an_int8_engine()
    {
        Skip.IfNot(Int8Cpu.Supported, Int8Cpu.SkipReason);
        using var float32 = Train(EncoderQuantization.None);
        using var int8 = Train(EncoderQuantization.Int8);
        var expected = Weights(float32);
        var actual = Weights(int8);

        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        Assert.Contains(expected.Keys, name => name.StartsWith("backbone.encoder.layer.0.", StringComparison.Ordinal));
        Assert.All(expected.Keys, name => Assert.True(expected[name].SequenceEqual(actual[name]), name));
        Assert.Equal(EncoderQuantization.Int8, int8.Encoder.Quantization);
        Assert.StartsWith("inference engine (int8, ", int8.Encoder.InferenceBackend, StringComparison.Ordinal);
        var texts = TinyData.Rows.Select(r => r.Text).ToArray();
        var reference = float32.Encoder.Encode(texts);
        var quantized = int8.Encoder.Encode(texts);
        Assert.False(reference.Zip(quantized).All(p => p.First.SequenceEqual(p.Second)), "the engine after training is not int8");
    }
}
