using System.Runtime.CompilerServices;
using static TorchSharp.torch;

namespace SentenceMtl.Tests;

/// <summary>The training package's TorchSharp view of a core encoder, one per encoder (tests compare it with the engine
/// or train it in place).</summary>
internal static class TorchEncoders
{
    private static readonly ConditionalWeakTable<SentenceEncoder, TorchEncoder> Views = new();

    public static TorchEncoder Torch(this SentenceEncoder encoder) => Views.GetValue(encoder, e => TorchEncoder.Create(e, CPU));

    /// <summary>Embeddings on libtorch, as arrays.</summary>
    public static float[][] EncodeWithLibtorch(this SentenceEncoder encoder, IReadOnlyList<string> texts)
    {
        using var embeddings = encoder.Torch().EncodeToTensor(texts, CancellationToken.None);
        var values = embeddings.data<float>().ToArray();
        int h = encoder.Dimension;
        return [.. Enumerable.Range(0, texts.Count).Select(i => values.AsSpan(i * h, h).ToArray())];
    }
}

/// <summary>A model's weights as a trainer starts from them (heads seeded when the model has none yet).</summary>
internal static class ModelWeights
{
    public static Dictionary<string, float[]> WeightsOf(this MultiTaskModel model)
    {
        using var trainable = SentenceMtl.Training.TrainableModel.Create(model, CPU);
        return trainable.AllParametersByName().ToDictionary(p => p.Name, p => p.Parameter.data<float>().ToArray());
    }
}

/// <summary>Embeddings of a TorchSharp encoder as arrays (libtorch, no gradients).</summary>
internal static class TorchEncoderArrays
{
    public static float[][] Encode(this TorchEncoder encoder, IReadOnlyList<string> texts)
    {
        using var embeddings = encoder.EncodeToTensor(texts, CancellationToken.None);
        var values = embeddings.data<float>().ToArray();
        int h = encoder.Dimension;
        return [.. Enumerable.Range(0, texts.Count).Select(i => values.AsSpan(i * h, h).ToArray())];
    }
}
