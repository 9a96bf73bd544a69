using SentenceMtl.Checkpoints;
using SentenceMtl.Serialization;
using static TorchSharp.torch;

namespace SentenceMtl.Tests.Robustness;

/// <summary>
/// Weights holding NaN or infinity (a damaged file, or one written from a diverged run by another tool) are refused at
/// load with the file and the weight named, instead of giving NaN embeddings or predictions.
/// </summary>
[Collection(GlobalRngCollection.Name)]
public sealed class NonFiniteWeightTests : IDisposable
{
    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void An_encoder_whose_weights_hold_NaN_or_infinity_is_refused_at_load(float bad)
    {
        string weights = Path.Combine(folder.Model, "model.safetensors");
        Poison(weights, "encoder.layer.1.output.dense.weight", bad);

        var ex = Assert.Throws<ModelFormatException>(() => SentenceEncoder.FromPretrained(folder.Model));

        Assert.Contains("encoder.layer.1.output.dense.weight", ex.Message, StringComparison.Ordinal);
        Assert.Contains("NaN or infinite", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_saved_model_whose_head_weights_hold_NaN_is_refused_at_load()
    {
        string saved = Path.Combine(folder.Path, "saved");
        using (var model = MultiTaskModel.Create(folder.Model, TinyModel.TopicAndSentiment()).WithRandomHeads())
        {
            model.Save(saved);
        }

        string heads = Path.Combine(saved, MultiTaskModel.HeadsFileName);
        Poison(heads, "sentiment.mlp.0.weight", float.NaN);

        var ex = Assert.Throws<ModelFormatException>(() => MultiTaskModel.Load(saved));

        Assert.Equal(heads, ex.FilePath);
        Assert.Contains("sentiment.mlp.0.weight", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Rewrites <paramref name="path"/> with one value of tensor <paramref name="name"/> set to <paramref name="value"/>.</summary>
    private static void Poison(string path, string name, float value)
    {
        var tensors = TensorConversion.ReadSafetensors(path);
        try
        {
            Assert.True(tensors.ContainsKey(name), $"{name} not in {string.Join(", ", tensors.Keys)}");
            using (no_grad())
            {
                tensors[name].view(-1)[3] = value;
            }

            var data = tensors.Select(kv => TensorConversion.ToData(kv.Key, kv.Value)).ToList();
            File.Delete(path);
            SafetensorsWriter.Write(path, data);
        }
        finally
        {
            foreach (var t in tensors.Values)
            {
                t.Dispose();
            }
        }
    }
}
