using SentenceMtl.Checkpoints;
using SentenceMtl.Tokenization;

namespace SentenceMtl.Benchmarks;

/// <summary>
/// SentenceMtl's tokenizer for the embedded model without loading a <see cref="SentenceEncoder"/> (so without
/// libtorch): the ONNX Runtime peak-memory child uses it, so its peak holds no torch weights or native code. It
/// mirrors <c>SentenceEncoder.Tokenize</c>; <c>--compare</c> checks that both give identical ids.
/// </summary>
internal sealed class StandaloneTokenizer
{
    private readonly BertWordPieceTokenizer tokenizer;
    private readonly ModelSource source;

    private StandaloneTokenizer(BertWordPieceTokenizer tokenizer, ModelSource source)
    {
        this.tokenizer = tokenizer;
        this.source = source;
    }

    /// <summary>The tokenizer of <see cref="BenchmarkEnvironment.ModelName"/>.</summary>
    public static StandaloneTokenizer Create()
    {
        var source = EmbeddedModelCatalog.TryGet(BenchmarkEnvironment.ModelName)
            ?? throw new InvalidOperationException($"No embedded {BenchmarkEnvironment.ModelName}: is SentenceMtl.Models.AllMiniLML6V2 referenced?");
        using var vocab = source.OpenVocabulary();
        return new StandaloneTokenizer(BertWordPieceTokenizer.Create(vocab, source.TokenizerOptions, source.VocabularyName), source);
    }

    /// <summary>Token ids of each text, as <c>SentenceEncoder.TokenizeAll</c> gives them.</summary>
    public int[][] TokenizeAll(IReadOnlyList<string> texts)
    {
        var ids = new int[texts.Count][];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = tokenizer.Encode(source.LowerCaseInput ? PythonCasing.ToLower(texts[i]) : texts[i], source.MaxSequenceLength);
        }

        return ids;
    }
}
