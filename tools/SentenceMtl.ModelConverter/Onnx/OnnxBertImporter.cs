using System.Runtime.InteropServices;
using SentenceMtl.Serialization;

namespace SentenceMtl.ModelConverter.Onnx;

/// <summary>
/// Imports the weights of a BERT encoder exported to ONNX from PyTorch (for example the <c>model.onnx</c> of
/// sentence-transformers models) under Hugging Face <c>BertModel</c> state-dict keys.
/// </summary>
/// <remarks>
/// The exporter keeps the names of embeddings, biases and LayerNorm parameters, but folds each
/// <c>Linear</c> weight into a transposed ([in, out]) constant with a generated name (<c>onnx::MatMul_788</c>,
/// <c>927</c>) that feeds a <c>MatMul</c> followed by an <c>Add</c> of the named bias. Such a weight is named
/// after its bias (<c>….query.bias</c> gives <c>….query.weight</c>) and transposed back to PyTorch's [out, in].
/// A <c>Gemm</c> (how older exporters write the pooler) is handled the same way, transposing only when
/// <c>transB</c> is 0. Initializers that are not <c>BertModel</c> keys (shape constants, the
/// <c>position_ids</c> buffer) are dropped; a leading <c>bert.</c> is removed.
/// </remarks>
internal static class OnnxBertImporter
{
    /// <summary>Reads the BERT weights of the ONNX model in <paramref name="onnxModel"/>.</summary>
    /// <param name="onnxModel">The <c>.onnx</c> file, read from its current position to its end.</param>
    /// <param name="sourceName">The file or resource name, for error messages.</param>
    /// <returns>
    /// The tensors in <c>BertModel</c> order (embeddings, layers, pooler), each under its HF key, Linear weights
    /// as [out, in]. Which keys are present is the caller's to check: an export may have pruned the pooler.
    /// </returns>
    /// <exception cref="ModelFormatException">
    /// The file is not a well-formed self-contained ONNX model, or a weight cannot be named (a MatMul whose weight
    /// is not followed by an Add of a named bias).
    /// </exception>
    public static IReadOnlyList<TensorData> Import(Stream onnxModel, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(onnxModel);
        ArgumentNullException.ThrowIfNull(sourceName);

        byte[] model = ReadAll(onnxModel, sourceName);
        OnnxGraph graph = OnnxGraph.Parse(model, sourceName);
        foreach (OnnxGraph.Initializer initializer in graph.Initializers)
        {
            if (initializer.IsExternal)
            {
                throw new ModelFormatException(
                    sourceName,
                    $"initializer '{initializer.Name}' stores its data in an external file; only self-contained "
                    + ".onnx files are supported (export without external data).");
            }
        }

        Dictionary<string, WeightSource> sources = FindBertWeights(graph, sourceName);
        if (sources.Count == 0)
        {
            throw new ModelFormatException(sourceName, "the ONNX graph holds no BertModel weights (no initializer named like embeddings.* or encoder.layer.*).");
        }

        var tensors = new List<TensorData>(sources.Count);
        foreach ((string key, WeightSource source) in sources.OrderBy(pair => Position(pair.Key)))
        {
            tensors.Add(Materialize(key, source, model, sourceName));
        }

        return tensors;
    }

    /// <summary>Maps each BertModel key to the initializer that holds it.</summary>
    private static Dictionary<string, WeightSource> FindBertWeights(OnnxGraph graph, string sourceName)
    {
        var consumers = new Dictionary<string, List<OnnxGraph.Node>>(StringComparer.Ordinal);
        foreach (OnnxGraph.Node node in graph.Nodes)
        {
            foreach (string input in node.Inputs)
            {
                if (input.Length > 0)
                {
                    if (!consumers.TryGetValue(input, out List<OnnxGraph.Node>? users))
                    {
                        consumers[input] = users = [];
                    }

                    users.Add(node);
                }
            }
        }

        var sources = new Dictionary<string, WeightSource>(StringComparer.Ordinal);
        var linearWeights = new HashSet<string>(StringComparer.Ordinal);
        foreach (OnnxGraph.Node node in graph.Nodes)
        {
            if (node.Inputs.Count < 2 || !graph.InitializersByName.TryGetValue(node.Inputs[1], out OnnxGraph.Initializer? weight))
            {
                continue;
            }

            if (node.Is("MatMul"))
            {
                (string key, OnnxGraph.Initializer bias) = FindMatMulBias(graph, node, weight, consumers, sourceName);
                CheckLinearShapes(node, weight, bias, outDimension: 1, sourceName);
                Add(sources, key, new WeightSource(weight, Transpose: true), sourceName);
                linearWeights.Add(weight.Name);
            }
            else if (node.Is("Gemm"))
            {
                (string key, OnnxGraph.Initializer bias, bool transposed) = FindGemmWeight(graph, node, weight, sourceName);
                CheckLinearShapes(node, weight, bias, outDimension: transposed ? 1 : 0, sourceName);
                Add(sources, key, new WeightSource(weight, transposed), sourceName);
                linearWeights.Add(weight.Name);
            }
        }

        foreach (OnnxGraph.Initializer initializer in graph.Initializers)
        {
            string key = BertWeightNames.StripTaskModelPrefix(initializer.Name);
            if (!linearWeights.Contains(initializer.Name) && BertWeightNames.IsBertKey(key))
            {
                Add(sources, key, new WeightSource(initializer, Transpose: false), sourceName);
            }
        }

        return sources;
    }

    /// <summary>
    /// For <c>y = MatMul(x, W)</c> followed by <c>Add(y, b)</c> (either operand order) with a named bias
    /// initializer <c>b</c>, the key of <c>W</c>: the bias key with <c>.bias</c> replaced by <c>.weight</c>.
    /// </summary>
    private static (string Key, OnnxGraph.Initializer Bias) FindMatMulBias(
        OnnxGraph graph,
        OnnxGraph.Node matMul,
        OnnxGraph.Initializer weight,
        Dictionary<string, List<OnnxGraph.Node>> consumers,
        string sourceName)
    {
        string what = $"MatMul '{matMul.Name}' with weight initializer '{weight.Name}'";
        string output = matMul.Outputs.Count == 1 ? matMul.Outputs[0] : "";
        List<OnnxGraph.Node> users = consumers.GetValueOrDefault(output) ?? [];
        if (users is not [OnnxGraph.Node add] || !add.Is("Add") || add.Inputs.Count != 2)
        {
            string found = users.Count == 0 ? "nothing" : string.Join(", ", users.Select(user => user.OpType));
            throw new ModelFormatException(
                sourceName,
                $"{what} must be followed by exactly one Add of its bias, so the weight can be named after it; its output feeds {found}.");
        }

        string biasName = add.Inputs[0] == output ? add.Inputs[1] : add.Inputs[0];
        if (!graph.InitializersByName.TryGetValue(biasName, out OnnxGraph.Initializer? bias))
        {
            throw new ModelFormatException(
                sourceName, $"{what} is followed by Add '{add.Name}' whose other input '{biasName}' is not an initializer: missing bias.");
        }

        return (WeightKeyFromBias(bias, what, sourceName), bias);
    }

    /// <summary>
    /// For <c>Gemm(x, W, b)</c>: the key of <c>W</c> (its own name if that is a Linear weight key, else named after
    /// <c>b</c>) and whether <c>W</c> is stored [in, out] (<c>transB</c> = 0) and so needs transposing.
    /// </summary>
    private static (string Key, OnnxGraph.Initializer Bias, bool Transposed) FindGemmWeight(
        OnnxGraph graph, OnnxGraph.Node gemm, OnnxGraph.Initializer weight, string sourceName)
    {
        string what = $"Gemm '{gemm.Name}' with weight initializer '{weight.Name}'";
        if (gemm.IntAttributes.GetValueOrDefault("transA", 0) != 0
            || gemm.FloatAttributes.GetValueOrDefault("alpha", 1f) != 1f
            || gemm.FloatAttributes.GetValueOrDefault("beta", 1f) != 1f)
        {
            throw new ModelFormatException(sourceName, $"{what} uses transA, alpha or beta, so it is not a plain Linear layer.");
        }

        if (gemm.Inputs.Count < 3 || !graph.InitializersByName.TryGetValue(gemm.Inputs[2], out OnnxGraph.Initializer? bias))
        {
            throw new ModelFormatException(sourceName, $"{what} has no bias initializer as its third input: missing bias.");
        }

        string ownKey = BertWeightNames.StripTaskModelPrefix(weight.Name);
        string key = BertWeightNames.IsLinearWeight(ownKey) ? ownKey : WeightKeyFromBias(bias, what, sourceName);
        bool transposed = gemm.IntAttributes.GetValueOrDefault("transB", 0) == 0;
        return (key, bias, transposed);
    }

    private static string WeightKeyFromBias(OnnxGraph.Initializer bias, string what, string sourceName)
    {
        const string BiasSuffix = ".bias";
        string biasKey = BertWeightNames.StripTaskModelPrefix(bias.Name);
        string weightKey = biasKey.EndsWith(BiasSuffix, StringComparison.Ordinal)
            ? biasKey[..^BiasSuffix.Length] + ".weight"
            : "";
        if (!BertWeightNames.IsBertKey(biasKey) || !BertWeightNames.IsLinearWeight(weightKey))
        {
            throw new ModelFormatException(
                sourceName, $"{what} adds bias '{bias.Name}', which is not the bias of a BertModel Linear layer, so the weight cannot be named.");
        }

        return weightKey;
    }

    /// <summary>Checks that the weight is 2-D and the bias 1-D with one value per output feature.</summary>
    private static void CheckLinearShapes(
        OnnxGraph.Node node, OnnxGraph.Initializer weight, OnnxGraph.Initializer bias, int outDimension, string sourceName)
    {
        if (weight.Dims.Length != 2 || bias.Dims.Length != 1 || bias.Dims[0] != weight.Dims[outDimension])
        {
            throw new ModelFormatException(
                sourceName,
                $"{node.OpType} '{node.Name}': weight '{weight.Name}' [{string.Join(", ", weight.Dims)}] and bias '{bias.Name}' "
                + $"[{string.Join(", ", bias.Dims)}] do not have the shapes of a Linear layer.");
        }
    }

    private static void Add(Dictionary<string, WeightSource> sources, string key, WeightSource source, string sourceName)
    {
        if (sources.TryGetValue(key, out WeightSource? existing) && existing != source)
        {
            throw new ModelFormatException(
                sourceName, $"initializers '{existing.Initializer.Name}' and '{source.Initializer.Name}' both map to BertModel key '{key}'.");
        }

        sources[key] = source;
    }

    private static TensorData Materialize(string key, WeightSource source, byte[] model, string sourceName)
    {
        ReadOnlyMemory<byte> data = source.Initializer.ReadData(model, sourceName, out TensorDType dtype);
        long[] dims = source.Initializer.Dims;
        if (!source.Transpose)
        {
            return new TensorData(key, dtype, dims, data.ToArray());
        }

        // [in, out] as ONNX multiplies it, to PyTorch's Linear layout [out, in]. Data that passed ReadData and is
        // not empty has both dims in 1..2^31, so the casts are exact.
        byte[] transposed = data.IsEmpty
            ? []
            : Transpose(data.Span, (int)dims[0], (int)dims[1], TensorData.ElementSize(dtype));
        return new TensorData(key, dtype, [dims[1], dims[0]], transposed);
    }

    private static byte[] Transpose(ReadOnlySpan<byte> source, int rows, int columns, int elementSize)
    {
        var result = new byte[source.Length];
        Span<byte> target = result;
        switch (elementSize)
        {
            case 8:
                Transpose(MemoryMarshal.Cast<byte, ulong>(source), MemoryMarshal.Cast<byte, ulong>(target), rows, columns);
                break;
            case 4:
                Transpose(MemoryMarshal.Cast<byte, uint>(source), MemoryMarshal.Cast<byte, uint>(target), rows, columns);
                break;
            case 2:
                Transpose(MemoryMarshal.Cast<byte, ushort>(source), MemoryMarshal.Cast<byte, ushort>(target), rows, columns);
                break;
            default:
                Transpose(source, target, rows, columns);
                break;
        }

        return result;
    }

    /// <summary>Writes the [rows, columns] matrix <paramref name="source"/> into <paramref name="target"/> as [columns, rows].</summary>
    private static void Transpose<T>(ReadOnlySpan<T> source, Span<T> target, int rows, int columns)
        where T : unmanaged
    {
        for (int row = 0; row < rows; row++)
        {
            ReadOnlySpan<T> sourceRow = source.Slice(row * columns, columns);
            for (int column = 0; column < columns; column++)
            {
                target[(column * rows) + row] = sourceRow[column];
            }
        }
    }

    private static (int Section, int Layer, int Slot) Position(string key)
    {
        BertWeightNames.TryGetPosition(key, out (int Section, int Layer, int Slot) position);
        return position;
    }

    /// <summary>
    /// Reads the rest of the stream into one array: raw_data is then used in place, and every tensor is copied
    /// exactly once, into its own buffer (transposed on the way where needed).
    /// </summary>
    private static byte[] ReadAll(Stream stream, string sourceName)
    {
        const string TooLarge = "the file is larger than 2 GB, the protobuf limit; such models keep weights as external data, which is not supported.";
        if (!stream.CanSeek)
        {
            // Rare (embedded resources and files can seek): one extra copy, and MemoryStream's own 2 GB limit.
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        }

        long length = stream.Length - stream.Position;
        if (length > Array.MaxLength)
        {
            throw new ModelFormatException(sourceName, TooLarge);
        }

        var buffer = new byte[length];
        stream.ReadExactly(buffer);
        return buffer;
    }

    /// <summary>Where a BertModel key's data comes from.</summary>
    /// <param name="Initializer">The ONNX initializer.</param>
    /// <param name="Transpose">Whether it is stored [in, out] and must be transposed to [out, in].</param>
    private sealed record WeightSource(OnnxGraph.Initializer Initializer, bool Transpose);
}
