using SentenceMtl.Checkpoints;

namespace SentenceMtl.Tests.Checkpoints;

/// <summary>config_sentence_transformers.json: prompts, the default prompt and the similarity function, read, checked and saved.</summary>
public sealed class SentenceTransformersConfigTests : IDisposable
{
    private readonly TempFolder folder = TinyModel.Create();

    public void Dispose() => folder.Dispose();

    private string ConfigPath => Path.Combine(folder.Model, SentenceTransformersConfig.FileName);

    private void WriteConfig(string json) => File.WriteAllText(ConfigPath, json);

    [Fact]
    public void The_default_prompt_applies_unless_a_call_gives_its_own()
    {
        WriteConfig("""{"prompts": {"query": "find: ", "document": ""}, "default_prompt_name": "query", "similarity_fn_name": "dot"}""");
        using var encoder = SentenceEncoder.FromPretrained(folder.Model);
        string[] texts = ["the team won the game", "a new phone app"];

        Assert.Equal("query", encoder.DefaultPromptName);
        Assert.Equal(SimilarityFunction.DotProduct, encoder.SimilarityFunction);
        var vectors = encoder.Encode(texts);
        var matrix = encoder.Similarity(vectors, vectors);
        Assert.Equal(EmbeddingSimilarity.Compute(vectors[0], vectors[1], SimilarityFunction.DotProduct), matrix[0, 1]);
        Assert.Equal(vectors[0].Zip(vectors[0], (x, y) => (double)x * y).Sum(), matrix[0, 0], 1e-5);
        Assert.Equal(encoder.Encode(texts.Select(t => "find: " + t).ToArray(), new EncodeOptions { Prompt = "" }), encoder.Encode(texts));
        Assert.Equal(encoder.Encode(texts, new EncodeOptions { Prompt = "" }), encoder.Encode(texts, new EncodeOptions { PromptName = "document" }));
        Assert.NotEqual(encoder.Encode(texts, new EncodeOptions { Prompt = "" }), encoder.Encode(texts));
    }

    [Fact]
    public void Save_writes_the_prompts_and_the_similarity_function_back()
    {
        WriteConfig("""{"prompts": {"query": "find: "}, "default_prompt_name": null, "similarity_fn_name": "euclidean"}""");
        string saved = Path.Combine(folder.Path, "saved");
        using (var encoder = SentenceEncoder.FromPretrained(folder.Model))
        {
            encoder.Save(saved);
        }

        var read = SentenceTransformersConfig.Read(saved);
        Assert.Equal("find: ", read.Prompts["query"]);
        Assert.Null(read.DefaultPromptName);
        Assert.Equal("euclidean", read.SimilarityFunctionName);
    }

    [Fact]
    public void Without_the_file_there_are_no_prompts_and_cosine_similarity()
    {
        var read = SentenceTransformersConfig.Read(folder.Model);
        Assert.Empty(read.Prompts);
        Assert.Null(read.DefaultPromptName);
        Assert.Equal("cosine", read.SimilarityFunctionName);
    }

    public static TheoryData<string, string> BadFiles => new()
    {
        { """{"prompts": {"query": 3}}""", "prompt 'query' must be a string" },
        { """{"prompts": ["a"]}""", "'prompts' must be an object" },
        { """{"prompts": {"query": "q: "}, "default_prompt_name": "passage"}""", "'default_prompt_name' is \"passage\", which is not a key of 'prompts' (\"query\")" },
        { """{"similarity_fn_name": "jaccard"}""", "expected one of cosine, dot, euclidean, manhattan" },
        { """{"similarity_fn_name": 1}""", "'similarity_fn_name' must be a string or null" },
        { "[1, 2]", "expected a JSON object" },
        { "{\"prompts\": ", "invalid JSON" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void A_damaged_file_names_the_file_and_the_key(string json, string expected)
    {
        WriteConfig(json);

        var error = Assert.Throws<ModelFormatException>(() => SentenceEncoder.FromPretrained(folder.Model));
        Assert.Contains(SentenceTransformersConfig.FileName, error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pooling_without_the_prompts_tokens_is_refused_only_when_a_prompt_is_used()
    {
        using (var encoder = SentenceEncoder.FromPretrained(folder.Model))
        {
            encoder.Save(Path.Combine(folder.Path, "pooled"));
        }

        string pooling = Path.Combine(folder.Path, "pooled", "1_Pooling", "config.json");
        File.WriteAllText(pooling, File.ReadAllText(pooling).Replace("\"include_prompt\": true", "\"include_prompt\": false", StringComparison.Ordinal));
        using var excluding = SentenceEncoder.FromPretrained(Path.Combine(folder.Path, "pooled"));

        Assert.Single(excluding.Encode(["the game"]));
        var error = Assert.Throws<NotSupportedException>(() => excluding.Encode(["the game"], new EncodeOptions { Prompt = "find: " }));
        Assert.Contains("include_prompt: false", error.Message, StringComparison.Ordinal);
    }
}
