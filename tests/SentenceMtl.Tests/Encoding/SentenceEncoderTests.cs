
namespace SentenceMtl.Tests.Encoding;

[Collection(EmbeddedEncodersCollection.Name)]
public sealed class SentenceEncoderTests(EmbeddedEncoders encoders)
{
    [Fact]
    public void MiniLm_reproduces_sentence_transformers_published_values()
    {
        // sentence-transformers: SentenceTransformer("all-MiniLM-L6-v2").encode(...)
        var v = encoders.MiniLm.Encode(["This is an example sentence", "Each sentence is converted"]);
        Assert.Equal(384, v[0].Length);
        Assert.Equal([0.0677f, 0.0635f, 0.0487f, 0.0793f], v[0].Take(4).Select(x => MathF.Round(x, 4)));
        Assert.Equal(0.4046, SentenceEncoder.CosineSimilarity(v[0], v[1]), 4);
    }

    [Fact]
    public void Embedded_defaults_are_those_sentence_transformers_configures()
    {
        Assert.Equal((PoolingStrategy.Mean, true, 256, 384), (encoders.MiniLm.Pooling, encoders.MiniLm.Normalize, encoders.MiniLm.MaxSequenceLength, encoders.MiniLm.Dimension));
        Assert.Equal((PoolingStrategy.Cls, true, 512, 384), (encoders.Arctic.Pooling, encoders.Arctic.Normalize, encoders.Arctic.MaxSequenceLength, encoders.Arctic.Dimension));
    }

    [Theory]
    [InlineData(PoolingStrategy.Cls)]
    [InlineData(PoolingStrategy.Mean)]
    [InlineData(PoolingStrategy.Max)]
    [InlineData(PoolingStrategy.MeanSqrtLen)]
    public void A_sentence_alone_and_inside_a_padded_batch_agree(PoolingStrategy pooling)
    {
        using var encoder = SentenceEncoder.FromPretrained("all-MiniLM-L6-v2", new SentenceEncoderOptions { Pooling = pooling, Normalize = false, BatchSize = 4 });
        var texts = File.ReadLines(TestPaths.Paragraphs).Take(7).Append("Short one.").Append("").ToArray();
        var batched = encoder.Encode(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            var alone = encoder.Encode(texts[i]);
            Assert.Equal(alone.Length, batched[i].Length);
            Assert.True(alone.Zip(batched[i]).All(p => Math.Abs(p.First - p.Second) <= 1e-5), $"text {i} ({pooling})");
        }
    }

    [Fact]
    public void Normalized_rows_have_unit_norm_and_results_keep_input_order()
    {
        var texts = File.ReadLines(TestPaths.Sentences).Take(70).ToArray();
        var all = encoders.MiniLm.Encode(texts);
        Assert.All(all, v => Assert.Equal(1.0, Math.Sqrt(v.Sum(x => (double)x * x)), 5));
        var reversed = encoders.MiniLm.Encode(texts.Reverse().ToArray());
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.True(all[i].Zip(reversed[texts.Length - 1 - i]).All(p => Math.Abs(p.First - p.Second) <= 1e-5));
        }
    }

    [Fact]
    public void Related_sentences_are_more_similar_than_unrelated_ones()
    {
        var e = encoders.MiniLm;
        Assert.True(e.Similarity("A man is playing a guitar.", "Someone plays an instrument.") >
                    e.Similarity("A man is playing a guitar.", "The stock market fell sharply today."));
        var v = e.Encode(["x", "y"]);
        Assert.Equal((SentenceEncoder.CosineSimilarity(v[0], v[1]) + 1) / 2, SentenceEncoder.SimilarityScore(v[0], v[1]), 6);
    }

    [Fact]
    public void Empty_list_gives_empty_result_and_nulls_are_rejected()
    {
        Assert.Empty(encoders.MiniLm.Encode(Array.Empty<string>()));
        Assert.Throws<ArgumentNullException>(() => encoders.MiniLm.Encode((IReadOnlyList<string>)null!));
        var ex = Assert.Throws<ArgumentNullException>(() => encoders.MiniLm.Encode(["ok", null!]));
        Assert.Contains("Sentence 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hostile_text_encodes_without_crashing()
    {
        var texts = new[] { "\uD800 lone surrogate", "\u0000\u0001\u001F controls", new string('x', 100_000), string.Concat(Enumerable.Repeat("word ", 200_000)), "🤗🤗🤗", "\u200B\u200D" };
        var v = encoders.MiniLm.Encode(texts);
        Assert.All(v, row => Assert.DoesNotContain(row, float.IsNaN));
    }

    [Fact]
    public void Concurrent_calls_equal_serial_results()
    {
        var texts = File.ReadLines(TestPaths.Sentences).Take(64).ToArray();
        var serial = encoders.MiniLm.Encode(texts);
        var parallel = new float[8][][];
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => parallel[i] = encoders.MiniLm.Encode(texts));
        Assert.All(parallel, run => Assert.True(run.Zip(serial).All(p => p.First.Zip(p.Second).All(q => Math.Abs(q.First - q.Second) <= 1e-5))));
    }

    [Fact]
    public void Cancellation_is_honoured_between_batches()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() => encoders.MiniLm.Encode(["a", "b"], cts.Token));
    }

    [SkippableFact]
    public void Batches_side_by_side_give_the_single_thread_results_and_cancel_cleanly()
    {
        var texts = File.ReadLines(TestPaths.Sentences).Take(200).ToArray();                 // 7 batches of 32
        using var single = SentenceEncoder.FromPretrained("all-MiniLM-L6-v2", new SentenceEncoderOptions { Threads = 1 });
        using var pair = SentenceEncoder.FromPretrained("all-MiniLM-L6-v2", new SentenceEncoderOptions { Threads = 2 });
        Assert.Equal(1, single.Engine.Threads);
        Assert.Equal(2, pair.Engine.Threads);
        var alone = single.Encode(texts);                                                      // one batch at a time
        var sideBySide = pair.Encode(texts);                                                   // batches on both threads
        var oneBatch = pair.Encode(texts.Take(20).ToArray());                                  // one batch, products split over both
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(alone[i], sideBySide[i]);                                             // same kernels, same order of sums
        }

        for (int i = 0; i < oneBatch.Length; i++)
        {
            Assert.Equal(alone[i], oneBatch[i]);
        }

        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() => pair.Encode(texts, cts.Token));       // not an AggregateException
    }

    [Fact]
    public void The_inference_backend_says_what_computes_the_embeddings()
    {
        using var encoder = SentenceEncoder.FromPretrained("all-MiniLM-L6-v2", new SentenceEncoderOptions { Threads = 2 });
        var width = SentenceMtl.Inference.Vectors.VectorWidths.Widest ?? SentenceMtl.Inference.Vectors.VectorWidth.Bits128;
        Assert.Equal($"inference engine ({(int)width}-bit vectors, 2 threads)", encoder.InferenceBackend);
    }

    [Fact]
    public void Unknown_model_lists_what_was_looked_for_and_the_embedded_names()
    {
        var ex = Assert.Throws<ModelNotFoundException>(() => SentenceEncoder.FromPretrained("no-such-model-xyz"));
        Assert.Contains("all-MiniLM-L6-v2", ex.Message, StringComparison.Ordinal);
        Assert.Contains("snowflake-arctic-embed-xs", ex.Message, StringComparison.Ordinal);
        Assert.Contains("folder", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_are_validated_at_the_boundary()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SentenceEncoder.FromPretrained("all-MiniLM-L6-v2", new SentenceEncoderOptions { BatchSize = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => SentenceEncoder.FromPretrained("all-MiniLM-L6-v2", new SentenceEncoderOptions { MaxSequenceLength = 513 }));
    }
}
