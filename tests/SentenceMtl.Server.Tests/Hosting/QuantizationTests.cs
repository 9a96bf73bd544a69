using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SentenceMtl.Server.Hosting;
using SentenceMtl.Server.Tests.Endpoints;

namespace SentenceMtl.Server.Tests.Hosting;

/// <summary>
/// <c>SentenceMtl:Quantization</c>: read from the configuration by name, refused with its key when undefined, and an
/// Int8 server embedding within cosine 0.99 of an in-process float32 encoder and classifying on the int8 engine.
/// </summary>
public sealed class QuantizationTests
{
    private static readonly string[] Sentences =
    [
        "The team won the championship after a dramatic penalty shootout.",
        "The new phone's battery lasts two days on a single charge.",
        "Parliament passed the budget by a narrow margin late on Tuesday.",
        "Critics called the film a tedious, overlong mess.",
        "Doctors recommend thirty minutes of exercise a day.",
        "The update fixed the crash but the app is still slow.",
        "Fans cheered as the band played their first hit.",
        "The minister resigned amid allegations of corruption.",
        "A new vaccine trial showed promising early results.",
        "I can't believe how bad the customer service was.",
        "Stocks rose sharply after the central bank's announcement.",
        "It rained all weekend, so we stayed in and read.",
    ];

    [Theory]
    [InlineData("Int8", EncoderQuantization.Int8)]
    [InlineData("int8", EncoderQuantization.Int8)]
    [InlineData("None", EncoderQuantization.None)]
    public async Task Quantization_binds_by_name_from_the_command_line(string value, EncoderQuantization expected)
    {
        await using var app = ServerApp.Build(["--SentenceMtl:Quantization", value]);

        Assert.Equal(expected, app.Services.GetRequiredService<IOptions<ServerOptions>>().Value.Quantization);
    }

    [Fact]
    public async Task Quantization_is_None_by_default()
    {
        await using var app = ServerApp.Build([]);

        Assert.Equal(EncoderQuantization.None, app.Services.GetRequiredService<IOptions<ServerOptions>>().Value.Quantization);
    }

    [Fact]
    public void An_undefined_quantization_is_refused_naming_the_key_and_the_values()
    {
        var result = new ServerOptionsValidator().Validate(null, new ServerOptions { Quantization = (EncoderQuantization)7 });

        Assert.Contains("SentenceMtl:Quantization must be None or Int8", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("7", typeof(OptionsValidationException))]          // bound, then refused by the validator
    [InlineData("Int4", typeof(InvalidOperationException))]        // refused by the configuration binder
    public async Task An_undefined_quantization_stops_the_start_naming_its_key(string value, Type expected)
    {
        var error = await Assert.ThrowsAsync(expected, async () =>
        {
            await using var app = ServerApp.Build(["--urls", "http://127.0.0.1:0", "--SentenceMtl:Quantization", value]);
            await app.StartAsync();
        });

        Assert.Contains("SentenceMtl:Quantization", error.ToString(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task An_int8_server_embeds_within_cosine_0_99_of_float32_and_stays_healthy()
    {
        Skip.IfNot(Int8Cpu.Supported, Int8Cpu.SkipReason);
        await using var server = new ServerFactory(new Dictionary<string, string> { ["Quantization"] = "Int8", ["Threads"] = "2" });
        await server.WaitUntilReadyAsync();
        using var client = server.CreateClient();
        using var reference = SentenceEncoder.FromPretrained("all-MiniLM-L6-v2");

        using var body = await WireFormatTests.ReadAsync(await client.PostAsJsonAsync("/v1/embeddings",
            new { input = Sentences, model = "all-MiniLM-L6-v2" }));
        var health = await client.GetAsync("/health");

        var expected = reference.Encode(Sentences);
        var data = body.RootElement.GetProperty("data");
        Assert.Equal(Sentences.Length, data.GetArrayLength());
        for (int i = 0; i < Sentences.Length; i++)
        {
            var vector = data[i].GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            Assert.Equal(expected[i].Length, vector.Length);
            Assert.InRange(SentenceEncoder.CosineSimilarity(expected[i], vector), 0.99f, 1.0001f);
        }

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var encoder = server.Services.GetRequiredService<ModelHost>().Encoder!;
        Assert.Equal(EncoderQuantization.Int8, encoder.Quantization);
        Assert.StartsWith("inference engine (int8, ", encoder.InferenceBackend, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task An_int8_server_classifies_on_the_int8_engine_as_the_model_loaded_with_int8_predicts()
    {
        Skip.IfNot(Int8Cpu.Supported, Int8Cpu.SkipReason);
        using var folder = new TempFolder();
        string tiny = TinyModel.CreateFolder(Path.Combine(folder.Path, "tiny"));
        string saved = Path.Combine(folder.Path, "classifier");
        using (var model = MultiTaskModel.Create(tiny, TinyModel.TopicAndSentiment(new MultiTaskModelOptions { HeadHiddenSizes = [] })).WithRandomHeads())
        {
            model.Save(saved);
        }

        using var reference = MultiTaskModel.Load(saved, new SentenceEncoderOptions { Quantization = EncoderQuantization.Int8 });
        await using var server = new ServerFactory(new Dictionary<string, string> { ["Model"] = tiny, ["Classifier"] = saved, ["Quantization"] = "Int8" });
        await server.WaitUntilReadyAsync();
        using var client = server.CreateClient();
        var texts = TinyModel.Sentences(6);

        var response = await client.PostAsJsonAsync("/classify", new { inputs = texts });

        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var classifier = server.Services.GetRequiredService<ModelHost>().Classifier!;
        Assert.StartsWith("inference engine (int8, ", classifier.Encoder.InferenceBackend, StringComparison.Ordinal);
        using var body = JsonDocument.Parse(text);
        var expected = reference.Predict(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            foreach (var task in expected[i].Tasks)
            {
                var answer = body.RootElement[i].GetProperty(task.Task);
                Assert.Equal(task.Label, answer.GetProperty("label").GetString());
                Assert.Equal(task.Confidence, answer.GetProperty("confidence").GetSingle(), 1e-5f);
            }
        }
    }
}
