using System.Net;
using System.Text.Json;

namespace SentenceMtl.Server.Tests.Endpoints;

/// <summary>TEI's <c>POST /tokenize</c>: per input, the tokenizer's ids with their text and offsets, the special tokens
/// when asked, the same request checks as <c>/embed</c>.</summary>
[Collection(TinyServerCollection.Name)]
public sealed class TokenizeTests(TinyServerFixture fixture)
{
    [Fact]
    public async Task Tokenize_gives_each_input_its_ids_texts_and_offsets()
    {
        string[] texts = ["The Teams WON, loved games", "a bug zzz"];
        using var client = fixture.CreateClient();

        using var body = await WireFormatTests.ReadAsync(await client.PostJsonAsync("/tokenize", new { inputs = texts }));
        using var bare = await WireFormatTests.ReadAsync(await client.PostJsonAsync("/tokenize", new { inputs = texts[0], add_special_tokens = false }));

        Assert.Equal(texts.Length, body.RootElement.GetArrayLength());
        for (int i = 0; i < texts.Length; i++)
        {
            var tokens = body.RootElement[i].EnumerateArray().ToArray();
            var expected = fixture.Reference.TokenizeWithOffsets(texts[i]);
            Assert.Equal(fixture.Reference.Tokenize(texts[i]), tokens.Select(token => token.GetProperty("id").GetInt32()));
            Assert.Equal(expected.Count, tokens.Length);
            for (int t = 0; t < tokens.Length; t++)
            {
                AssertToken(tokens[t], expected[t], texts[i]);
            }
        }

        // "Teams" is team ##s: its characters split between the two pieces; "zzz" is [UNK], not placed.
        var first = body.RootElement[0];
        Assert.Equal(("[CLS]", true, JsonValueKind.Null), (first[0].GetProperty("text").GetString(), first[0].GetProperty("special").GetBoolean(),
            first[0].GetProperty("start").ValueKind));
        Assert.Equal(("Team", 4, 8), (first[2].GetProperty("text").GetString(), first[2].GetProperty("start").GetInt32(), first[2].GetProperty("stop").GetInt32()));
        Assert.Equal(("s", 8, 9), (first[3].GetProperty("text").GetString(), first[3].GetProperty("start").GetInt32(), first[3].GetProperty("stop").GetInt32()));
        var unknown = body.RootElement[1][3];
        Assert.Equal(("[UNK]", JsonValueKind.Null), (unknown.GetProperty("text").GetString(), unknown.GetProperty("start").ValueKind));
        Assert.Equal(body.RootElement[0].GetArrayLength() - 2, Assert.Single(bare.RootElement.EnumerateArray()).GetArrayLength());
        Assert.All(bare.RootElement[0].EnumerateArray(), token => Assert.False(token.GetProperty("special").GetBoolean()));
    }

    [Fact]
    public async Task Tokenize_goes_through_the_same_checks_as_embed()
    {
        using var client = fixture.CreateClient();

        var missing = await client.PostJsonAsync("/tokenize", """{"input": "a game"}""");
        var tooMany = await client.PostJsonAsync("/tokenize", new { inputs = Enumerable.Repeat("a", TinyServerFixture.MaxInputs + 1).ToArray() });
        var tooLong = await client.PostJsonAsync("/tokenize", new { inputs = new string('a', TinyServerFixture.MaxCharacters + 1) });
        var wrongType = await client.PostJsonAsync("/tokenize", """{"inputs": "a", "add_special_tokens": "yes"}""");
        var notJson = await client.PostAsync("/tokenize", new StringContent("a game"));
        // Not truncated: 90 words are 92 tokens, over the tiny model's 64.
        using var longText = await WireFormatTests.ReadAsync(await client.PostJsonAsync("/tokenize", new { inputs = string.Join(' ', Enumerable.Repeat("a", 90)) }));

        await BadRequestTests.AssertErrorAsync(missing, 400, "'inputs' is required");
        await BadRequestTests.AssertErrorAsync(tooMany, 400, $"at most {TinyServerFixture.MaxInputs}");
        await BadRequestTests.AssertErrorAsync(tooLong, 413, $"'inputs[0]' has {TinyServerFixture.MaxCharacters + 1} characters");
        await BadRequestTests.AssertErrorAsync(wrongType, 400, "$.add_special_tokens");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, notJson.StatusCode);
        Assert.Equal(92, longText.RootElement[0].GetArrayLength());
    }

    private static void AssertToken(JsonElement token, TextToken expected, string text)
    {
        Assert.Equal(expected.Id, token.GetProperty("id").GetInt32());
        Assert.Equal(expected.IsSpecial, token.GetProperty("special").GetBoolean());
        if (expected.Start is { } start && expected.End is { } end)
        {
            Assert.Equal((start, end), (token.GetProperty("start").GetInt32(), token.GetProperty("stop").GetInt32()));
            Assert.Equal(text[start..end], token.GetProperty("text").GetString());
        }
        else
        {
            Assert.Equal(expected.Token, token.GetProperty("text").GetString());
            Assert.Equal(JsonValueKind.Null, token.GetProperty("stop").ValueKind);
        }
    }
}
