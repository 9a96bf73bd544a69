using System.Text.Json;

namespace SentenceMtl.Server.Tests.Endpoints;

/// <summary>
/// Truncation is the same on every endpoint and chosen by <c>SentenceMtl:AutoTruncate</c> (default false): without it a
/// text over the model's maximum length gets 413 naming the text and the setting on <c>/v1/embeddings</c> and
/// <c>/classify</c>, and <c>/embed</c>'s <c>truncate</c> (which defaults to the setting) decides per request; with it,
/// every endpoint embeds the text's first tokens as in-process <c>Encode</c> does. And <c>model</c> is optional.
/// </summary>
public sealed class TruncationTests : IDisposable
{
    /// <summary>Over the tiny model's 64 tokens, under the default character limit.</summary>
    private static readonly string LongText = string.Join(' ', Enumerable.Repeat("a", 90));

    /// <summary>/embed normalizes by default.</summary>
    private static readonly EncodeOptions Normalized = new() { Normalize = true };

    private readonly TempFolder folder = new();
    private readonly string tiny;
    private readonly string classifier;

    public TruncationTests()
    {
        tiny = TinyModel.CreateFolder(Path.Combine(folder.Path, "tiny"));
        classifier = TinyClassifier.Save(tiny, Path.Combine(folder.Path, "classifier"));
    }

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task Without_auto_truncate_a_long_text_is_413_naming_its_index_and_the_setting()
    {
        await using var server = await StartAsync(autoTruncate: false);
        using var client = server.CreateClient();

        var openAi = await client.PostJsonAsync("/v1/embeddings", new { input = new[] { "a game", LongText } });
        var classify = await client.PostJsonAsync("/classify", new { inputs = new[] { "a game", LongText } });
        var embed = await client.PostJsonAsync("/embed", new { inputs = new[] { "a game", LongText } });
        using var embedTruncated = await WireFormatTests.ReadAsync(await client.PostJsonAsync("/embed", new { inputs = LongText, truncate = true }));

        await BadRequestTests.AssertErrorAsync(openAi, 413, "'input[1]' has 64 tokens or more");
        await BadRequestTests.AssertErrorAsync(openAi, 413, "SentenceMtl:AutoTruncate");
        await BadRequestTests.AssertErrorAsync(classify, 413, "'inputs[1]' has 64 tokens or more");
        await BadRequestTests.AssertErrorAsync(classify, 413, "SentenceMtl:AutoTruncate");
        await BadRequestTests.AssertErrorAsync(embed, 413, "\"truncate\": true");
        using var reference = SentenceEncoder.FromPretrained(tiny);
        Assert.Equal(reference.Encode([LongText], Normalized)[0], Vector(embedTruncated.RootElement[0]));
    }

    [Fact]
    public async Task With_auto_truncate_every_endpoint_embeds_the_first_tokens_and_embed_can_still_refuse()
    {
        await using var server = await StartAsync(autoTruncate: true);
        using var client = server.CreateClient();

        using var openAi = await WireFormatTests.ReadAsync(await client.PostJsonAsync("/v1/embeddings", new { input = LongText }));
        using var embed = await WireFormatTests.ReadAsync(await client.PostJsonAsync("/embed", new { inputs = LongText }));
        using var classify = await WireFormatTests.ReadAsync(await client.PostJsonAsync("/classify", new { inputs = LongText }));
        var refused = await client.PostJsonAsync("/embed", new { inputs = LongText, truncate = false });

        using var encoder = SentenceEncoder.FromPretrained(tiny);
        using var reference = MultiTaskModel.Load(classifier);
        Assert.Equal(encoder.Encode(LongText), Vector(openAi.RootElement.GetProperty("data")[0].GetProperty("embedding")));
        Assert.Equal(64, openAi.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(encoder.Encode([LongText], Normalized)[0], Vector(embed.RootElement[0]));
        var prediction = reference.Predict([LongText])[0];
        foreach (var task in prediction.Tasks)
        {
            Assert.Equal(task.Label, classify.RootElement[0].GetProperty(task.Task).GetProperty("label").GetString());
        }

        await BadRequestTests.AssertErrorAsync(refused, 413, "'inputs[0]' has 64 tokens or more");
    }

    [Fact]
    public async Task Model_is_optional_and_a_wrong_one_is_still_404_naming_the_served_model()
    {
        await using var server = await StartAsync(autoTruncate: false);
        using var client = server.CreateClient();

        using var without = await WireFormatTests.ReadAsync(await client.PostJsonAsync("/v1/embeddings", new { input = "a game" }));
        using var empty = await WireFormatTests.ReadAsync(await client.PostJsonAsync("/v1/embeddings", new { input = "a game", model = "" }));
        var wrong = await client.PostJsonAsync("/v1/embeddings", new { input = "a game", model = "text-embedding-3-small" });

        using var reference = SentenceEncoder.FromPretrained(tiny);
        Assert.Equal(reference.Encode("a game"), Vector(without.RootElement.GetProperty("data")[0].GetProperty("embedding")));
        Assert.Equal("tiny", without.RootElement.GetProperty("model").GetString());
        Assert.Equal(reference.Encode("a game"), Vector(empty.RootElement.GetProperty("data")[0].GetProperty("embedding")));
        await BadRequestTests.AssertErrorAsync(wrong, 404, "it serves 'tiny'");
    }

    /// <summary>The tiny model and its classifier, with or without AutoTruncate.</summary>
    private async Task<ServerFactory> StartAsync(bool autoTruncate)
    {
        var server = new ServerFactory(new Dictionary<string, string>
        {
            ["Model"] = tiny,
            ["Classifier"] = classifier,
            ["AutoTruncate"] = autoTruncate ? "true" : "false",
        });
        await server.WaitUntilReadyAsync();
        return server;
    }

    private static float[] Vector(JsonElement element) => element.EnumerateArray().Select(e => e.GetSingle()).ToArray();
}
