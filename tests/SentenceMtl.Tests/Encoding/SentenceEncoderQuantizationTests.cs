using Xunit.Abstractions;

namespace SentenceMtl.Tests.Encoding;

/// <summary>
/// <see cref="SentenceEncoderOptions.Quantization"/> seen from the encoder: the options' checks, what an int8 encoder
/// reports, its embeddings against float32's, and the refusal to load int8 where the engine cannot serve the model.
/// </summary>
[Collection(EmbeddedEncodersCollection.Name)]
public sealed class SentenceEncoderQuantizationTests(EmbeddedEncoders encoders, ITestOutputHelper output)
{
    [Fact]
    public void An_undefined_quantization_is_refused_naming_the_setting_and_the_values()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            SentenceEncoder.FromPretrained("all-MiniLM-L6-v2", new SentenceEncoderOptions { Quantization = (EncoderQuantization)7 }));

        Assert.Equal("Quantization", error.ParamName);
        Assert.Contains("EncoderQuantization.None or EncoderQuantization.Int8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_float32_encoder_reports_no_int8()
    {
        using var encoder = SentenceEncoder.FromPretrained("all-MiniLM-L6-v2", new SentenceEncoderOptions { Quantization = EncoderQuantization.None });

        Assert.Equal(EncoderQuantization.None, encoder.Quantization);
        Assert.Equal(EncoderQuantization.None, encoders.MiniLm.Quantization);                   // the default
        Assert.DoesNotContain("int8", encoder.InferenceBackend, StringComparison.Ordinal);
        Assert.DoesNotContain("int8", encoders.MiniLm.InferenceBackend, StringComparison.Ordinal);
    }

    /// <summary>Every one of 50 bench sentences within cosine 0.99 of the float32 encoder's embedding.</summary>
    [SkippableFact]
    public void An_int8_encoder_reports_int8_and_embeds_within_cosine_0_99_of_float32()
    {
        Skip.IfNot(Int8Cpu.Supported, Int8Cpu.SkipReason);
        using var int8 = SentenceEncoder.FromPretrained("all-MiniLM-L6-v2", new SentenceEncoderOptions { Quantization = EncoderQuantization.Int8 });
        var texts = File.ReadLines(TestPaths.Sentences).Take(50).ToList();

        var expected = encoders.MiniLm.Encode(texts);
        var actual = int8.Encode(texts);

        Assert.Equal(EncoderQuantization.Int8, int8.Quantization);
        Assert.StartsWith("inference engine (int8, ", int8.InferenceBackend, StringComparison.Ordinal);
        Assert.Equal(texts.Count, actual.Length);
        double[] cosines = [.. expected.Zip(actual, (e, a) => (double)SentenceEncoder.CosineSimilarity(e, a))];
        output.WriteLine($"int8 vs float32 on {texts.Count} sentences: cosine mean {cosines.Average():f5}, min {cosines.Min():f5}");
        Assert.All(cosines, c => Assert.InRange(c, 0.99, 1.0001));
        Assert.False(expected.Zip(actual).All(p => p.First.SequenceEqual(p.Second)), "int8 gave float32's exact vectors: it did not run");
    }

    /// <summary>
    /// A model the engine does not implement (a ReLU feed-forward) is refused at load, float32 and int8 alike, naming
    /// the setting: there is no other inference path to fall back on.
    /// </summary>
    [Fact]
    public void A_model_the_engine_does_not_implement_is_refused_at_load_with_the_reason()
    {
        using var folder = TinyModel.Create();
        File.WriteAllText(Path.Combine(folder.Model, "config.json"), (TinyModel.Config with { HiddenAct = "relu" }).ToJson());

        foreach (var quantization in new[] { EncoderQuantization.None, EncoderQuantization.Int8 })
        {
            var error = Assert.Throws<NotSupportedException>(() =>
                SentenceEncoder.FromPretrained(folder.Model, new SentenceEncoderOptions { Quantization = quantization }));
            Assert.Contains("hidden_act 'relu'", error.Message, StringComparison.Ordinal);
            Assert.Contains("config.json", error.Message, StringComparison.Ordinal);
        }
    }
}
