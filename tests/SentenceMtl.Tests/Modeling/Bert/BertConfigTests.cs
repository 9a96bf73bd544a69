using SentenceMtl.Modeling.Bert;

namespace SentenceMtl.Tests.Modeling.Bert;

public class BertConfigTests
{
    [Fact]
    public void Defaults_are_hugging_face_bert_base()
    {
        var config = BertConfig.FromJson("{}");
        Assert.Equal((30522, 768, 12, 12, 3072, "gelu", 512, 2, 1e-12, 0),
            (config.VocabSize, config.HiddenSize, config.NumHiddenLayers, config.NumAttentionHeads, config.IntermediateSize,
             config.HiddenAct, config.MaxPositionEmbeddings, config.TypeVocabSize, config.LayerNormEps, config.PadTokenId));
        Assert.Equal((0.1, 0.1), (config.HiddenDropoutProb, config.AttentionProbsDropoutProb));
    }

    [Fact]
    public void Reads_a_minilm_config_json()
    {
        var config = BertConfig.FromJson("""
            {"_name_or_path": "nreimers/MiniLM-L6-H384-uncased", "architectures": ["BertModel"], "attention_probs_dropout_prob": 0.1,
             "gradient_checkpointing": false, "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": 384,
             "initializer_range": 0.02, "intermediate_size": 1536, "layer_norm_eps": 1e-12, "max_position_embeddings": 512,
             "model_type": "bert", "num_attention_heads": 12, "num_hidden_layers": 6, "pad_token_id": 0,
             "position_embedding_type": "absolute", "transformers_version": "4.8.2", "type_vocab_size": 2, "use_cache": true,
             "vocab_size": 30522}
            """);
        Assert.Equal((384, 6, 12, 1536, 32), (config.HiddenSize, config.NumHiddenLayers, config.NumAttentionHeads, config.IntermediateSize, config.HeadSize));
    }

    [Theory]
    [InlineData("""{"num_attention_heads": 12, "num_attention_heads": 12}""", "invalid JSON")]                   // a key twice (found by fuzzing)
    [InlineData("""{"hidden_size": 100, "num_attention_heads": 12}""", "divisible")]
    [InlineData("""{"num_hidden_layers": 0}""", "num_hidden_layers")]
    [InlineData("""{"hidden_act": "mish"}""", "hidden_act")]
    [InlineData("""{"position_embedding_type": "relative_key"}""", "position_embedding_type")]
    [InlineData("""{"hidden_dropout_prob": 1.5}""", "hidden_dropout_prob")]
    [InlineData("""{"pad_token_id": 40000}""", "pad_token_id")]
    [InlineData("""{"hidden_size": "big"}""", "invalid JSON")]
    [InlineData("""[1, 2]""", "invalid JSON")]
    public void Invalid_configs_throw_naming_the_file_and_the_rule(string json, string rule)
    {
        var ex = Assert.Throws<ModelFormatException>(() => BertConfig.FromJson(json, "my/config.json"));
        Assert.Equal("my/config.json", ex.FilePath);
        Assert.Contains(rule, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Round_trips_through_json()
    {
        var config = new BertConfig { HiddenSize = 64, NumAttentionHeads = 4, LayerNormEps = 1e-7 };
        Assert.Equal(config, BertConfig.FromJson(config.ToJson()));
        Assert.Contains("\"model_type\": \"bert\"", config.ToJson(), StringComparison.Ordinal);
    }
}
