using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace SentenceMtl.Server.Tests.Endpoints;

/// <summary>Bodies a client (or a web page) should not send: text that is not Unicode, the wrong content type, the wrong
/// method. Each is a 4xx in the OpenAI error shape, never a 500, and the server keeps serving.</summary>
[Collection(TinyServerCollection.Name)]
public sealed class HostileRequestTests(TinyServerFixture fixture)
{
    private static readonly byte[] InvalidUtf8 = [0x61, 0xff, 0xfe];

    /// <summary>Bodies whose text cannot be decoded: raw invalid UTF-8 (spliced in for <c>BAD</c>) or an escaped lone
    /// surrogate, in each endpoint's text field and in the other string fields; the message names the field.</summary>
    public static TheoryData<string, string, string> Undecodable => new()
    {
        { "/v1/embeddings", """{"input": "BAD", "model": "tiny"}""", "input" },
        { "/v1/embeddings", """{"input": ["a game", "BAD"], "model": "tiny"}""", "input[1]" },
        { "/v1/embeddings", """{"input": "\ud83d", "model": "tiny"}""", "input" },
        { "/v1/embeddings", """{"input": ["\udc00 x"], "model": "tiny"}""", "input[0]" },
        { "/v1/embeddings", """{"input": "a game", "model": "BAD"}""", "$.model" },
        { "/v1/embeddings", """{"input": "a game", "model": "\ud83d"}""", "$.model" },
        { "/v1/embeddings", """{"input": "a game", "model": "tiny", "encoding_format": "\ud800"}""", "$.encoding_format" },
        { "/v1/embeddings", """{"input": "a game", "model": "tiny", "user": "BAD"}""", "$.user" },
        { "/embed", """{"inputs": "BAD"}""", "inputs" },
        { "/embed", """{"inputs": ["\ud83d\ud83d"]}""", "inputs[0]" },
        { "/classify", """{"inputs": "BAD"}""", "inputs" },
        { "/classify", """{"inputs": ["ok", "\ude00"]}""", "inputs[1]" },
    };

    [Theory]
    [MemberData(nameof(Undecodable))]
    public async Task Text_that_is_not_unicode_is_400_naming_the_field(string path, string json, string field)
    {
        using var client = fixture.CreateClient();
        var content = new ByteArrayContent(Splice(json));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        var response = await client.PostAsync(path, content);

        await BadRequestTests.AssertErrorAsync(response, 400, "not valid text");
        string body = await response.Content.ReadAsStringAsync();
        Assert.Contains(field, body, StringComparison.Ordinal);
        Assert.Contains("UTF-8", body, StringComparison.Ordinal);
        await BadRequestTests.AssertStillServingAsync(client);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData(null)]
    public async Task A_body_that_is_not_declared_json_is_415(string? contentType)
    {
        using var client = fixture.CreateClient();
        foreach (string path in new[] { "/v1/embeddings", "/embed", "/classify" })
        {
            var content = new ByteArrayContent("""{"input": "a game", "inputs": "a game", "model": "tiny"}"""u8.ToArray());
            content.Headers.ContentType = contentType is null ? null : MediaTypeHeaderValue.Parse(contentType);

            var response = await client.PostAsync(path, content);

            await BadRequestTests.AssertErrorAsync(response, 415, "Content-Type: application/json");
        }

        await BadRequestTests.AssertStillServingAsync(client);
    }

    [Fact]
    public async Task Json_with_a_charset_or_a_json_suffix_is_read()
    {
        using var client = fixture.CreateClient();
        foreach (string contentType in new[] { "application/json; charset=utf-8", "APPLICATION/JSON", "application/vnd.api+json" })
        {
            var content = new StringContent("""{"input": "a game", "model": "tiny"}""", Encoding.UTF8);
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);

            var response = await client.PostAsync("/v1/embeddings", content);

            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{contentType}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    [Theory]
    [InlineData("GET", "/v1/embeddings", "POST")]
    [InlineData("PUT", "/embed", "POST")]
    [InlineData("DELETE", "/classify", "POST")]
    [InlineData("POST", "/health", "GET")]
    [InlineData("PUT", "/metrics", "GET")]
    [InlineData("DELETE", "/metrics", "GET")]
    [InlineData("TRACE", "/metrics", "GET")]
    [InlineData("POST", "/metrics", "GET")]
    public async Task A_wrong_method_is_405_with_an_openai_error_and_allow(string method, string path, string allowed)
    {
        using var client = fixture.CreateClient();

        var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        await BadRequestTests.AssertErrorAsync(response, 405, "is not allowed");
        Assert.Contains(allowed, response.Content.Headers.Allow);
    }

    [Fact]
    public async Task Metrics_answer_get_and_head_and_an_unknown_path_is_404_in_the_error_shape()
    {
        using var client = fixture.CreateClient();

        var get = await client.GetAsync("/metrics");
        var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/metrics"));
        var unknown = await client.GetAsync("/v1/completions");

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Contains("http_server_request_duration_seconds", await get.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        await BadRequestTests.AssertErrorAsync(unknown, 404, "No endpoint answers GET /v1/completions");
    }

    /// <summary>The UTF-8 bytes of <paramref name="json"/>, with the invalid bytes in place of <c>BAD</c>.</summary>
    private static byte[] Splice(string json)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(json);
        int at = json.IndexOf("BAD", StringComparison.Ordinal);
        return at < 0 ? utf8 : [.. utf8[..at], .. InvalidUtf8, .. utf8[(at + 3)..]];
    }
}
