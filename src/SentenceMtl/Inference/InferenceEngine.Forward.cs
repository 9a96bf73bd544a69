using System.Numerics.Tensors;
using SentenceMtl.Inference.Kernels;
using SentenceMtl.Inference.Vectors;

namespace SentenceMtl.Inference;

/// <summary>The forward pass: Hugging Face's <c>BertModel</c> on packed tokens, written once over the vector width.</summary>
internal sealed unsafe partial class InferenceEngine
{
    /// <summary>Writes the batch's last hidden states into <paramref name="workspace"/>'s token states.</summary>
    private void Forward<TS, TV>(IReadOnlyList<int[]> sequences, int[] lengths, Workspace workspace, IntraOpThreadPool threads)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        int h = Config.HiddenSize, heads = Config.NumAttentionHeads;
        long rows = lengths.Sum(n => (long)n);
        float* hidden = workspace.Hidden.Pointer, scratch = workspace.Scratch.Pointer;
        Embed<TS, TV>(sequences, hidden, rows, threads);
        foreach (var layer in weights.Layers)
        {
            float* qkv = scratch, attended = scratch + (rows * 3 * h), intermediate = scratch;
            layer.QueryKeyValue.Multiply<TS, TV>(hidden, rows, qkv, LinearEpilogue.None, threads, workspace);                // (N, 3H)
            AttentionKernel.Run<TS, TV>(qkv, attended, lengths, heads, h / heads, threads);                         // (N, H)
            layer.AttentionOutput.Multiply<TS, TV>(attended, rows, hidden, LinearEpilogue.AddToOutput, threads, workspace);    // residual
            Normalize<TS, TV>(hidden, rows, layer.AttentionNorm, threads);
            for (long first = 0; first < rows; first += Workspace.FeedForwardRows)                                  // a block of tokens at a time
            {
                long count = Math.Min(Workspace.FeedForwardRows, rows - first);
                float* states = hidden + (first * h);
                layer.Intermediate.Multiply<TS, TV>(states, count, intermediate, LinearEpilogue.Gelu, threads, workspace);     // (n, I)
                layer.Output.Multiply<TS, TV>(intermediate, count, states, LinearEpilogue.AddToOutput, threads, workspace);    // residual
                Normalize<TS, TV>(states, count, layer.OutputNorm, threads);
            }
        }
    }

    /// <summary>Word + position + token-type (0) embeddings of every token, then the embeddings' layer norm.</summary>
    private void Embed<TS, TV>(IReadOnlyList<int[]> sequences, float* hidden, long rows, IntraOpThreadPool threads)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        var e = weights.Embeddings;
        int h = Config.HiddenSize;
        var positions = new ReadOnlySpan<float>(e.Positions.Pointer, e.Positions.Length);
        var types = new ReadOnlySpan<float>(e.TokenTypes.Pointer, h);
        long row = 0;
        foreach (var ids in sequences)
        {
            for (int p = 0; p < ids.Length; p++, row++)
            {
                var destination = new Span<float>(hidden + (row * h), h);
                e.Words.Row(ids[p], destination);
                TensorPrimitives.Add(destination, positions.Slice(p * h, h), destination);
                TensorPrimitives.Add(destination, types, destination);
            }
        }

        Normalize<TS, TV>(hidden, rows, e.Norm, threads);
    }

    private static void Normalize<TS, TV>(float* rows, long count, LayerNormWeights norm, IntraOpThreadPool threads)
        where TS : struct, ISimd<TV>
        where TV : struct =>
        LayerNormKernel.Apply<TS, TV>(rows, count, norm.Gamma.Length, norm.Gamma.Pointer, norm.Beta.Pointer, norm.Epsilon, threads);
}
