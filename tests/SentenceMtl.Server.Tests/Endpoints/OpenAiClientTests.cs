using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Embeddings;
using AiOptions = Microsoft.Extensions.AI.EmbeddingGenerationOptions;
using OpenAiOptions = OpenAI.Embeddings.EmbeddingGenerationOptions;

namespace SentenceMtl.Server.Tests.Endpoints;

/// <summary>The official OpenAI .NET client and Microsoft.Extensions.AI's OpenAI generator, pointed at the server, get
/// exactly the vectors of in-process <c>Encode</c> (they ask for base64).</summary>
[Collection(TinyServerCollection.Name)]
public sealed class OpenAiClientTests(TinyServerFixture fixture)
{
    private static readonly string[] Texts = TinyModel.Sentences(5);

    private EmbeddingClient NewClient(string model = "tiny") => new(model, new ApiKeyCredential("unused"),
        new OpenAIClientOptions { Endpoint = new Uri(fixture.Server.Address, "v1") });

    [Fact]
    public async Task Embedding_client_gets_the_in_process_vectors()
    {
        OpenAIEmbeddingCollection result = await NewClient().GenerateEmbeddingsAsync(Texts);

        var expected = fixture.Reference.Encode(Texts);
        Assert.Equal(Texts.Length, result.Count);
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(i, result[i].Index);
            Assert.Equal(expected[i], result[i].ToFloats().ToArray());
        }

        Assert.Equal(Texts.Sum(t => fixture.Reference.Tokenize(t).Length), result.Usage.InputTokenCount);
    }

    [Fact]
    public async Task Embedding_client_with_dimensions_gets_truncated_renormalized_vectors()
    {
        OpenAIEmbeddingCollection result = await NewClient().GenerateEmbeddingsAsync(Texts, new OpenAiOptions { Dimensions = 8 });

        var expected = fixture.Reference.Encode(Texts, new EncodeOptions { TruncateDimension = 8, Normalize = true });
        Assert.All(Enumerable.Range(0, Texts.Length), i => Assert.Equal(expected[i], result[i].ToFloats().ToArray()));
    }

    [Fact]
    public async Task Extensions_ai_generator_gets_the_in_process_vectors()
    {
        IEmbeddingGenerator<string, Embedding<float>> generator = NewClient().AsIEmbeddingGenerator();

        var embeddings = await generator.GenerateAsync(Texts);
        var truncated = await generator.GenerateAsync(Texts, new AiOptions { Dimensions = 4 });

        var expected = fixture.Reference.Encode(Texts);
        var expectedTruncated = fixture.Reference.Encode(Texts, new EncodeOptions { TruncateDimension = 4, Normalize = true });
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(expected[i], embeddings[i].Vector.ToArray());
            Assert.Equal(expectedTruncated[i], truncated[i].Vector.ToArray());
        }
    }

    [Fact]
    public async Task Unknown_model_is_a_not_found_error_for_the_client()
    {
        var error = await Assert.ThrowsAsync<ClientResultException>(() => NewClient("text-embedding-3-small").GenerateEmbeddingAsync("a game"));

        Assert.Equal(404, error.Status);
        Assert.Contains("text-embedding-3-small", error.Message, StringComparison.Ordinal);
    }
}
