using System.Net;
using System.Text;
using System.Text.Json;

namespace SentenceMtl.Server.Tests.Endpoints;

/// <summary>Every kind of bad request gets its status code and an OpenAI-style JSON error naming the problem (never a
/// stack trace), and the server keeps serving.</summary>
[Collection(TinyServerCollection.Name)]
public sealed class BadRequestTests(TinyServerFixture fixture)
{
    public static TheoryData<string, string, int, string> Cases => new()
    {
        { "/v1/embeddings", """{"input": "a game",""", 400, "not valid JSON" },
        { "/v1/embeddings", "null", 400, "JSON null" },
        { "/v1/embeddings", """{"input": "a game", "model": "tiny", "dimensions": "eight"}""", 400, "$.dimensions" },
        { "/v1/embeddings", """{"model": "tiny"}""", 400, "'input' is required" },
        { "/v1/embeddings", """{"input": [], "model": "tiny"}""", 400, "empty array" },
        { "/v1/embeddings", """{"input": 42, "model": "tiny"}""", 400, "not a number" },
        { "/v1/embeddings", """{"input": [[101, 2023]], "model": "tiny"}""", 400, "token arrays" },
        { "/v1/embeddings", """{"input": [101, 2023], "model": "tiny"}""", 400, "token arrays" },
        { "/v1/embeddings", """{"input": ["a", {"text": "b"}], "model": "tiny"}""", 400, "'input[1]' must be a string" },
        { "/v1/embeddings", """{"input": ["a","a","a","a","a","a","a","a","a"], "model": "tiny"}""", 400, "at most 8" },
        { "/v1/embeddings", """{"input": "a game", "model": "text-embedding-3-small"}""", 404, "serves 'tiny'" },
        { "/v1/embeddings", """{"input": "a game", "model": "tiny", "encoding_format": "int8"}""", 400, "'float' or 'base64'" },
        { "/v1/embeddings", """{"input": "a game", "model": "tiny", "dimensions": 33}""", 400, "1 to 32" },
        { "/v1/embeddings", """{"input": "a game", "model": "tiny", "dimensions": 0}""", 400, "1 to 32" },
        { "/embed", """{"inputs": "a game", "normalize": "yes"}""", 400, "$.normalize" },
        { "/embed", """{"input": "a game"}""", 400, "'inputs' is required" },
        { "/classify", """{"inputs": "a game"}""", 404, "--classifier" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_request_gets_an_openai_style_error(string path, string body, int status, string message)
    {
        using var client = fixture.CreateClient();

        var response = await client.PostJsonAsync(path, body);

        await AssertErrorAsync(response, status, message);
        await AssertStillServingAsync(client);
    }

    [Fact]
    public async Task Text_over_the_character_limit_is_413()
    {
        using var client = fixture.CreateClient();
        string text = new('a', TinyServerFixture.MaxCharacters + 1);

        var response = await client.PostJsonAsync("/v1/embeddings", new { input = new[] { "a game", text }, model = "tiny" });

        await AssertErrorAsync(response, 413, "'input[1]' has 201 characters");
    }

    [Fact]
    public async Task Body_over_the_limit_is_413_with_or_without_content_length()
    {
        using var client = fixture.CreateClient();
        string json = JsonSerializer.Serialize(new { input = Enumerable.Repeat("a game", 700).ToArray(), model = "tiny" });
        Assert.True(Encoding.UTF8.GetByteCount(json) > TinyServerFixture.MaxBodyBytes);

        var declared = await client.PostJsonAsync("/v1/embeddings", json);
        var chunked = await PostChunkedAsync(client, Encoding.UTF8.GetBytes(json));

        await AssertErrorAsync(declared, 413, "larger than the server accepts");
        await AssertErrorAsync(chunked, 413, "larger than the server accepts");
        await AssertStillServingAsync(client);
    }

    /// <summary>
    /// Posts a body of unannounced length. The server answers 413 once the body passes the limit and then closes the
    /// connection while the client may still be sending, so the client can see the connection end before it reads the
    /// answer (HTTP/1.1 has no way around that race): a few attempts, each either the answer or that closed connection.
    /// </summary>
    private static async Task<HttpResponseMessage> PostChunkedAsync(HttpClient client, byte[] body)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await client.PostAsync("/v1/embeddings", new ChunkedContent(body));
            }
            catch (HttpRequestException) when (attempt < 5)
            {
            }
        }
    }

    internal static async Task AssertErrorAsync(HttpResponseMessage response, int status, string message)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"expected {status}, got {(int)response.StatusCode}: {text}");
        using var body = JsonDocument.Parse(text);
        var error = body.RootElement.GetProperty("error");
        Assert.Contains(message, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        Assert.True(error.TryGetProperty("param", out _) && error.TryGetProperty("code", out _), text);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
    }

    internal static async Task AssertStillServingAsync(HttpClient client)
    {
        var response = await client.PostJsonAsync("/v1/embeddings", new { input = "the team won", model = "tiny" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>A body sent without Content-Length (chunked), so only the server's running count can stop it.</summary>
    private sealed class ChunkedContent : HttpContent
    {
        private readonly byte[] bytes;

        public ChunkedContent(byte[] bytes)
        {
            this.bytes = bytes;
            Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            for (int i = 0; i < bytes.Length; i += 512)
            {
                await stream.WriteAsync(bytes.AsMemory(i, Math.Min(512, bytes.Length - i)));
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
