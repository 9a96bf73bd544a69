using System.Collections.Concurrent;

namespace SentenceMtl.Tests.Encoding;

/// <summary>Encode with per-call options on the embedded models: prompts, truncation, normalization, batch size, progress.</summary>
[Collection(EmbeddedEncodersCollection.Name)]
public sealed class EncodeOptionsTests(EmbeddedEncoders models)
{
    private static readonly string[] Sentences =
    [
        "How do I reset my password?",
        "The striker scored twice in the final.",
        "Parliament passed the budget late on Tuesday night after a long debate about taxes.",
        "Short.",
    ];

    [Fact]
    public void Arctic_names_its_query_prompt_and_no_default()
    {
        Assert.Equal("Represent this sentence for searching relevant passages: ", models.Arctic.Prompts["query"]);
        Assert.Null(models.Arctic.DefaultPromptName);
        Assert.Empty(models.MiniLm.Prompts);
    }

    [Fact]
    public void A_prompt_name_embeds_the_prompted_text_token_for_token()
    {
        var arctic = models.Arctic;
        string prompt = arctic.Prompts["query"];

        var byName = arctic.Encode(Sentences, new EncodeOptions { PromptName = "query" });
        var byText = arctic.Encode(Sentences, new EncodeOptions { Prompt = prompt });
        var prompted = arctic.Encode(Sentences.Select(s => prompt + s).ToArray());
        var plain = arctic.Encode(Sentences);

        for (int i = 0; i < Sentences.Length; i++)
        {
            Assert.Equal(prompted[i], byName[i]);                                                   // bit for bit: the same token ids
            Assert.Equal(prompted[i], byText[i]);
            Assert.NotEqual(plain[i], byName[i]);
        }
    }

    [Fact]
    public void Tokenizing_first_then_embedding_the_ids_gives_Encodes_vectors()
    {
        // The server tokenizes each request once (to count its tokens) and embeds those ids: the same path as Encode.
        var arctic = models.Arctic;
        foreach (var options in new[]
                 {
                     EncodeOptions.Default,
                     new EncodeOptions { PromptName = "query", TruncateDimension = 100 },
                     new EncodeOptions { Normalize = false, BatchSize = 1 },
                 })
        {
            var ids = Sentences.Select(s => arctic.TokenizeForEncode(s, options)).ToArray();
            Assert.Equal(arctic.Encode(Sentences, options), arctic.EncodeTokenized(ids, options, CancellationToken.None));
        }

        Assert.Equal(arctic.Tokenize(arctic.Prompts["query"] + Sentences[0]),
            arctic.TokenizeForEncode(Sentences[0], new EncodeOptions { PromptName = "query" }));
    }

    [Fact]
    public void An_unknown_prompt_name_lists_the_models_prompts()
    {
        var error = Assert.Throws<ArgumentException>(() => models.Arctic.Encode(Sentences, new EncodeOptions { PromptName = "passage" }));
        Assert.Contains("'passage'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'query'", error.Message, StringComparison.Ordinal);

        var none = Assert.Throws<ArgumentException>(() => models.MiniLm.Encode(Sentences, new EncodeOptions { PromptName = "query" }));
        Assert.Contains("names no prompts", none.Message, StringComparison.Ordinal);

        var both = Assert.Throws<ArgumentException>(() => models.Arctic.Encode(Sentences, new EncodeOptions { Prompt = "q: ", PromptName = "query" }));
        Assert.Contains("not both", both.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    [InlineData(383)]
    public void Truncated_embeddings_are_the_first_values_renormalized(int dimension)
    {
        var full = models.MiniLm.Encode(Sentences);
        var truncated = models.MiniLm.Encode(Sentences, new EncodeOptions { TruncateDimension = dimension });

        for (int i = 0; i < Sentences.Length; i++)
        {
            Assert.Equal(dimension, truncated[i].Length);
            double norm = Math.Sqrt(full[i].Take(dimension).Sum(x => (double)x * x));
            for (int d = 0; d < dimension; d++)
            {
                Assert.Equal(full[i][d] / norm, truncated[i][d], 1e-6);
            }
        }
    }

    [Fact]
    public void Without_normalization_truncation_keeps_the_raw_values()
    {
        var raw = models.MiniLm.Encode(Sentences, new EncodeOptions { Normalize = false });
        var truncated = models.MiniLm.Encode(Sentences, new EncodeOptions { Normalize = false, TruncateDimension = 100 });
        var normalized = models.MiniLm.Encode(Sentences);

        for (int i = 0; i < Sentences.Length; i++)
        {
            Assert.Equal(raw[i].Take(100), truncated[i]);
            double norm = Math.Sqrt(raw[i].Sum(x => (double)x * x));
            Assert.True(Math.Abs(norm - 1) > 0.01, $"the raw vector {i} is not normalized (norm {norm})");
            for (int d = 0; d < raw[i].Length; d++)
            {
                Assert.Equal(raw[i][d] / norm, normalized[i][d], 1e-6);
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(385)]
    public void A_truncation_outside_the_dimension_is_refused(int dimension)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => models.MiniLm.Encode(Sentences, new EncodeOptions { TruncateDimension = dimension }));
        Assert.Contains("384", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Any_enumerable_is_read_once_and_a_null_sentence_is_named()
    {
        int reads = 0;
        IEnumerable<string> Stream()
        {
            reads++;
            foreach (var s in Sentences)
            {
                yield return s;
            }
        }

        Assert.Equal(models.MiniLm.Encode(Sentences), models.MiniLm.Encode(Stream()));
        Assert.Equal(1, reads);

        var error = Assert.Throws<ArgumentNullException>(() => models.MiniLm.Encode(new[] { "a", null!, "b" }.AsEnumerable()));
        Assert.Contains("Sentence 1 is null", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Batch_size_does_not_change_the_vectors_and_progress_counts_every_sentence()
    {
        var texts = Enumerable.Range(0, 50).Select(i => $"Sentence number {i} " + new string('x', i % 7)).ToArray();
        var reports = new ConcurrentQueue<EncodeProgress>();
        var progress = new SynchronousProgress(reports.Enqueue);

        var small = models.MiniLm.Encode(texts, new EncodeOptions { BatchSize = 3, Progress = progress });
        var large = models.MiniLm.Encode(texts);

        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(large[i], small[i], (a, b) => Math.Abs(a - b) < 1e-5f);
        }

        var seen = reports.ToArray();
        Assert.True(seen.Length >= 17, $"expected a report per batch of 3, got {seen.Length}");
        Assert.All(seen, r => Assert.Equal(texts.Length, r.Total));
        Assert.Equal(seen.Select(r => r.Encoded).Order(), seen.Select(r => r.Encoded));
        Assert.Equal(texts.Length, seen[^1].Encoded);
    }

    [Fact]
    public void The_embedded_models_compare_by_cosine_in_a_matrix()
    {
        var queries = models.Arctic.Encode(Sentences[..2], new EncodeOptions { PromptName = "query" });
        var documents = models.Arctic.Encode(Sentences);

        var matrix = models.Arctic.Similarity(queries, documents);

        Assert.Equal(SimilarityFunction.Cosine, models.Arctic.SimilarityFunction);
        Assert.Equal((2, 4), (matrix.GetLength(0), matrix.GetLength(1)));
        for (int i = 0; i < 2; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                Assert.Equal(SentenceEncoder.CosineSimilarity(queries[i], documents[j]), matrix[i, j], 1e-5);
            }

            Assert.Equal(i, Enumerable.Range(0, 4).MaxBy(j => matrix[i, j]));                    // each query finds its own sentence
        }
    }

    private sealed class SynchronousProgress(Action<EncodeProgress> report) : IProgress<EncodeProgress>
    {
        public void Report(EncodeProgress value) => report(value);
    }
}
