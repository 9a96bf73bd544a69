using System.Buffers.Binary;
using System.Net;
using System.Text.Json;

namespace SentenceMtl.Server.Tests.Endpoints;

/// <summary>The raw wire formats: OpenAI's float and base64 encodings, <c>/v1/models</c>, TEI's <c>/embed</c>.</summary>
[Collection(TinyServerCollection.Name)]
public sealed class WireFormatTests(TinyServerFixture fixture)
{
    private static readonly string[] Texts = TinyModel.Sentences(3);

    [Fact]
    public async Task Float_and_base64_encodings_carry_the_same_exact_vectors()
    {
        using var client = fixture.CreateClient();
        using var asFloats = await ReadAsync(await client.PostJsonAsync("/v1/embeddings", new { input = Texts, model = "tiny", encoding_format = "float" }));
        using var asBase64 = await ReadAsync(await client.PostJsonAsync("/v1/embeddings", new { input = Texts, model = "tiny", encoding_format = "base64" }));

        var expected = fixture.Reference.Encode(Texts);
        Assert.Equal("list", asFloats.RootElement.GetProperty("object").GetString());
        Assert.Equal("tiny", asFloats.RootElement.GetProperty("model").GetString());
        for (int i = 0; i < Texts.Length; i++)
        {
            var floats = asFloats.RootElement.GetProperty("data")[i].GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            byte[] bytes = Convert.FromBase64String(asBase64.RootElement.GetProperty("data")[i].GetProperty("embedding").GetString()!);
            var decoded = Enumerable.Range(0, bytes.Length / 4).Select(j => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(j * 4))).ToArray();
            Assert.Equal(expected[i], floats);
            Assert.Equal(expected[i], decoded);
        }

        int tokens = Texts.Sum(t => fixture.Reference.Tokenize(t).Length);
        Assert.Equal(tokens, asFloats.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(tokens, asFloats.RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task A_single_string_input_gives_one_embedding()
    {
        using var client = fixture.CreateClient();
        using var body = await ReadAsync(await client.PostJsonAsync("/v1/embeddings", new { input = Texts[0], model = "tiny" }));

        var data = body.RootElement.GetProperty("data");
        Assert.Equal(1, data.GetArrayLength());
        Assert.Equal(fixture.Reference.Encode(Texts[0]), data[0].GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray());
    }

    [Fact]
    public async Task Models_lists_the_served_model()
    {
        using var client = fixture.CreateClient();
        using var body = await ReadAsync(await client.GetAsync("/v1/models"));

        var model = Assert.Single(body.RootElement.GetProperty("data").EnumerateArray());
        Assert.Equal("tiny", model.GetProperty("id").GetString());
        Assert.Equal("model", model.GetProperty("object").GetString());
    }

    [Fact]
    public async Task Embed_follows_normalize_and_truncate()
    {
        using var client = fixture.CreateClient();
        string longText = string.Join(' ', Enumerable.Repeat("a", 90));         // over the tiny model's 64 tokens, under 200 characters
        using var normalized = await ReadAsync(await client.PostJsonAsync("/embed", new { inputs = Texts }));
        using var raw = await ReadAsync(await client.PostJsonAsync("/embed", new { inputs = Texts[1], normalize = false }));
        using var truncated = await ReadAsync(await client.PostJsonAsync("/embed", new { inputs = longText, truncate = true }));
        var refused = await client.PostJsonAsync("/embed", new { inputs = longText });

        var expected = fixture.Reference.Encode(Texts, new EncodeOptions { Normalize = true });
        Assert.All(Enumerable.Range(0, Texts.Length), i => Assert.Equal(expected[i], Vector(normalized.RootElement[i])));
        Assert.Equal(fixture.Reference.Encode([Texts[1]], new EncodeOptions { Normalize = false })[0], Vector(raw.RootElement[0]));
        Assert.Equal(fixture.Reference.Encode([longText], new EncodeOptions { Normalize = true })[0], Vector(truncated.RootElement[0]));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
        Assert.Contains("truncate", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Info_describes_the_model_and_the_limits()
    {
        using var client = fixture.CreateClient();
        using var body = await ReadAsync(await client.GetAsync("/info"));

        var info = body.RootElement;
        string pooling = fixture.Reference.Pooling.ToString().ToLowerInvariant();
        Assert.Equal("tiny", info.GetProperty("model_id").GetString());
        Assert.Equal(pooling, info.GetProperty("model_type").GetProperty("embedding").GetProperty("pooling").GetString());
        Assert.Equal(pooling, info.GetProperty("pooling").GetString());
        Assert.Equal(fixture.Reference.Dimension, info.GetProperty("dimension").GetInt32());
        Assert.Equal(fixture.Reference.MaxSequenceLength, info.GetProperty("max_input_length").GetInt32());
        Assert.Equal("none", info.GetProperty("quantization").GetString());
        Assert.Equal(TinyServerFixture.MaxInputs, info.GetProperty("max_client_batch_size").GetInt32());
        Assert.Equal(new ServerOptions().MaxBatchTokens, info.GetProperty("max_batch_tokens").GetInt32());
        Assert.Equal(new ServerOptions().MaxConcurrentRequests, info.GetProperty("max_concurrent_requests").GetInt32());
        Assert.Equal(new ServerOptions().MaxRequestTokens, info.GetProperty("max_request_tokens").GetInt32());
        Assert.False(info.GetProperty("auto_truncate").GetBoolean());
        Assert.Equal(JsonValueKind.Null, info.GetProperty("classifier").ValueKind);
    }

    private static float[] Vector(JsonElement element) => element.EnumerateArray().Select(e => e.GetSingle()).ToArray();

    internal static async Task<JsonDocument> ReadAsync(HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text);
    }
}
