using Google.Protobuf;
using SentenceMtl.Serialization;
using Window = SentenceMtl.ModelConverter.Onnx.ProtoMessageReader.Window;

namespace SentenceMtl.ModelConverter.Onnx;

/// <summary>
/// The parts of an ONNX <c>ModelProto</c> that weight import needs: the main graph's nodes (names, op types,
/// inputs, outputs, numeric attributes) and its initializers, whose data stay windows into the file's bytes
/// until they are asked for. Field numbers are those of <c>onnx.proto</c>; no generated code is involved.
/// </summary>
internal sealed class OnnxGraph
{
    // onnx.proto field numbers.
    private const int ModelGraph = 7;
    private const int GraphNode = 1, GraphInitializer = 5, GraphSparseInitializer = 15;
    private const int NodeInput = 1, NodeOutput = 2, NodeName = 3, NodeOpType = 4, NodeAttribute = 5, NodeDomain = 7;
    private const int AttributeName = 1, AttributeFloat = 2, AttributeInt = 3;
    private const int TensorDims = 1, TensorDataType = 2, TensorSegment = 3, TensorFloatData = 4, TensorInt32Data = 5,
        TensorStringData = 6, TensorInt64Data = 7, TensorName = 8, TensorRawData = 9, TensorDoubleData = 10,
        TensorUInt64Data = 11, TensorExternalData = 13, TensorDataLocation = 14;

    private OnnxGraph(IReadOnlyList<Node> nodes, IReadOnlyList<Initializer> initializers, IReadOnlyDictionary<string, Initializer> byName)
    {
        Nodes = nodes;
        Initializers = initializers;
        InitializersByName = byName;
    }

    /// <summary>The nodes in file order (ONNX requires topological order).</summary>
    public IReadOnlyList<Node> Nodes { get; }

    /// <summary>The initializers in file order.</summary>
    public IReadOnlyList<Initializer> Initializers { get; }

    /// <summary>The initializers by name.</summary>
    public IReadOnlyDictionary<string, Initializer> InitializersByName { get; }

    /// <summary>Parses the <c>ModelProto</c> that fills <paramref name="model"/>.</summary>
    /// <param name="model">The whole <c>.onnx</c> file.</param>
    /// <param name="sourceName">The file name, for error messages.</param>
    /// <returns>The main graph.</returns>
    /// <exception cref="ModelFormatException">The bytes are not a well-formed ONNX model.</exception>
    public static OnnxGraph Parse(byte[] model, string sourceName)
    {
        try
        {
            Window? graph = null;
            var reader = new ProtoMessageReader(model, new Window(0, model.Length), "ModelProto", sourceName);
            while (reader.Next())
            {
                if (reader.FieldNumber != ModelGraph)
                {
                    reader.Skip();
                }
                else if (graph is null)
                {
                    graph = reader.ReadLengthDelimited();
                }
                else
                {
                    throw reader.Malformed("more than one graph (field 7)");
                }
            }

            if (graph is null)
            {
                throw new ModelFormatException(sourceName, "ModelProto has no graph (field 7); this is not an ONNX model.");
            }

            return ParseGraph(model, graph.Value, sourceName);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new ModelFormatException(sourceName, $"not a well-formed ONNX protobuf: {ex.Message}", ex);
        }
    }

    private static OnnxGraph ParseGraph(byte[] model, Window window, string sourceName)
    {
        var nodes = new List<Node>();
        var initializers = new List<Initializer>();
        var byName = new Dictionary<string, Initializer>(StringComparer.Ordinal);
        var reader = new ProtoMessageReader(model, window, "GraphProto", sourceName);
        while (reader.Next())
        {
            switch (reader.FieldNumber)
            {
                case GraphNode:
                    nodes.Add(ParseNode(model, reader.ReadLengthDelimited(), sourceName));
                    break;
                case GraphInitializer:
                    Initializer initializer = ParseTensor(model, reader.ReadLengthDelimited(), sourceName);
                    if (!byName.TryAdd(initializer.Name, initializer))
                    {
                        throw reader.Malformed($"duplicate initializer name '{initializer.Name}'");
                    }

                    initializers.Add(initializer);
                    break;
                case GraphSparseInitializer:
                    throw reader.Malformed("sparse initializers (field 15) are not supported");
                default:
                    reader.Skip();
                    break;
            }
        }

        return new OnnxGraph(nodes, initializers, byName);
    }

    private static Node ParseNode(byte[] model, Window window, string sourceName)
    {
        string name = "", opType = "", domain = "";
        var inputs = new List<string>();
        var outputs = new List<string>();
        var ints = new Dictionary<string, long>(StringComparer.Ordinal);
        var floats = new Dictionary<string, float>(StringComparer.Ordinal);
        var reader = new ProtoMessageReader(model, window, "NodeProto", sourceName);
        while (reader.Next())
        {
            switch (reader.FieldNumber)
            {
                case NodeInput:
                    inputs.Add(reader.ReadString());
                    break;
                case NodeOutput:
                    outputs.Add(reader.ReadString());
                    break;
                case NodeName:
                    name = reader.ReadString();
                    break;
                case NodeOpType:
                    opType = reader.ReadString();
                    break;
                case NodeDomain:
                    domain = reader.ReadString();
                    break;
                case NodeAttribute:
                    ParseAttribute(model, reader.ReadLengthDelimited(), sourceName, ints, floats);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return new Node(name, opType, domain, inputs, outputs, ints, floats);
    }

    /// <summary>Keeps the scalar int and float attributes (Gemm's transA/transB/alpha/beta); skips the rest.</summary>
    private static void ParseAttribute(
        byte[] model, Window window, string sourceName, Dictionary<string, long> ints, Dictionary<string, float> floats)
    {
        string name = "";
        long? intValue = null;
        float? floatValue = null;
        var reader = new ProtoMessageReader(model, window, "AttributeProto", sourceName);
        while (reader.Next())
        {
            switch (reader.FieldNumber)
            {
                case AttributeName:
                    name = reader.ReadString();
                    break;
                case AttributeFloat:
                    floatValue = reader.ReadFloat();
                    break;
                case AttributeInt:
                    intValue = (long)reader.ReadVarint();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        if (intValue is long i)
        {
            ints[name] = i;
        }

        if (floatValue is float f)
        {
            floats[name] = f;
        }
    }

    private static Initializer ParseTensor(byte[] model, Window window, string sourceName)
    {
        string name = "";
        int dataType = 0;
        var dims = new List<long>();
        Window? rawData = null;
        var floatData = new List<Window>();
        bool external = false, segmented = false;
        string? otherTypedField = null;
        var reader = new ProtoMessageReader(model, window, "TensorProto", sourceName);
        while (reader.Next())
        {
            switch (reader.FieldNumber)
            {
                case TensorDims:
                    reader.ReadInt64s(dims);
                    break;
                case TensorDataType:
                    dataType = (int)reader.ReadVarint();
                    break;
                case TensorName:
                    name = reader.ReadString();
                    break;
                case TensorRawData:
                    rawData = reader.ReadLengthDelimited();
                    break;
                case TensorFloatData when reader.WireType == WireFormat.WireType.LengthDelimited:
                    floatData.Add(reader.ReadLengthDelimited()); // packed: little-endian floats back to back
                    break;
                case TensorFloatData:
                    floatData.Add(reader.ReadFixed32Window());
                    break;
                case TensorExternalData:
                    external = true;
                    reader.Skip();
                    break;
                case TensorDataLocation:
                    external |= reader.ReadVarint() != 0; // 0 = DEFAULT, 1 = EXTERNAL
                    break;
                case TensorSegment:
                    segmented = true;
                    reader.Skip();
                    break;
                case TensorInt32Data or TensorStringData or TensorInt64Data or TensorDoubleData or TensorUInt64Data:
                    otherTypedField ??= reader.FieldNumber switch
                    {
                        TensorInt32Data => "int32_data",
                        TensorStringData => "string_data",
                        TensorInt64Data => "int64_data",
                        TensorDoubleData => "double_data",
                        _ => "uint64_data",
                    };
                    reader.Skip();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return new Initializer(name, dataType, [.. dims], rawData, floatData, external, segmented, otherTypedField);
    }

    /// <summary>One node of the graph.</summary>
    /// <param name="Name">The node's name (may be empty).</param>
    /// <param name="OpType">The operator, e.g. <c>MatMul</c>.</param>
    /// <param name="Domain">The operator set domain; empty (or <c>ai.onnx</c>) for standard operators.</param>
    /// <param name="Inputs">Input value names; an empty string marks an omitted optional input.</param>
    /// <param name="Outputs">Output value names.</param>
    /// <param name="IntAttributes">Scalar int attributes by name.</param>
    /// <param name="FloatAttributes">Scalar float attributes by name.</param>
    internal sealed record Node(
        string Name,
        string OpType,
        string Domain,
        IReadOnlyList<string> Inputs,
        IReadOnlyList<string> Outputs,
        IReadOnlyDictionary<string, long> IntAttributes,
        IReadOnlyDictionary<string, float> FloatAttributes)
    {
        /// <summary>Whether this is a standard ONNX operator of type <paramref name="opType"/>.</summary>
        /// <param name="opType">The operator name.</param>
        /// <returns><see langword="true"/> for a match in the default domain.</returns>
        public bool Is(string opType) => OpType == opType && Domain is "" or "ai.onnx";
    }

    /// <summary>
    /// One initializer (<c>TensorProto</c>): its name, ONNX data type and dims, and where its data lies in the file.
    /// </summary>
    internal sealed class Initializer
    {
        private readonly Window? _rawData;
        private readonly List<Window> _floatData;
        private readonly bool _segmented;
        private readonly string? _otherTypedField;

        /// <summary>Creates the initializer record.</summary>
        /// <param name="name">The initializer's name.</param>
        /// <param name="dataType">The <c>TensorProto.DataType</c> value.</param>
        /// <param name="dims">The dimensions.</param>
        /// <param name="rawData">Where <c>raw_data</c> lies, if present.</param>
        /// <param name="floatData">Where the <c>float_data</c> values lie (packed runs or single fixed32 values).</param>
        /// <param name="isExternal">Whether the data lives in an external file.</param>
        /// <param name="segmented">Whether the tensor is a segment of a larger one.</param>
        /// <param name="otherTypedField">The first typed data field other than <c>float_data</c> that is present.</param>
        public Initializer(
            string name, int dataType, long[] dims, Window? rawData, List<Window> floatData, bool isExternal, bool segmented, string? otherTypedField)
        {
            Name = name;
            DataType = dataType;
            Dims = dims;
            IsExternal = isExternal;
            _rawData = rawData;
            _floatData = floatData;
            _segmented = segmented;
            _otherTypedField = otherTypedField;
        }

        /// <summary>The initializer's name, as graph inputs refer to it.</summary>
        public string Name { get; }

        /// <summary>The <c>TensorProto.DataType</c> value (1 = FLOAT, 7 = INT64, …).</summary>
        public int DataType { get; }

        /// <summary>The dimensions as stored.</summary>
        public long[] Dims { get; }

        /// <summary>Whether the data is stored in an external file (<c>data_location = EXTERNAL</c> or <c>external_data</c>).</summary>
        public bool IsExternal { get; }

        /// <summary>
        /// Checks that the initializer holds its data inline, in a supported type, and exactly as many bytes as its
        /// dims need, and returns the data: a window into <paramref name="model"/> when it is one run of bytes.
        /// </summary>
        /// <param name="model">The whole file, as given to <see cref="Parse"/>.</param>
        /// <param name="sourceName">The file name, for error messages.</param>
        /// <param name="dtype">The element type.</param>
        /// <returns>The little-endian, row-major bytes.</returns>
        /// <exception cref="ModelFormatException">A rule above is broken.</exception>
        public ReadOnlyMemory<byte> ReadData(byte[] model, string sourceName, out TensorDType dtype)
        {
            string label = $"initializer '{Name}'";
            if (IsExternal)
            {
                throw new ModelFormatException(sourceName, $"{label} stores its data in an external file, which is not supported.");
            }

            if (_segmented)
            {
                throw new ModelFormatException(sourceName, $"{label} is a segment of a larger tensor, which is not supported.");
            }

            dtype = MapDataType(DataType)
                ?? throw new ModelFormatException(sourceName, $"{label} has ONNX data type {DataType}, which is not supported.");
            long byteLength = TensorData.TryByteLength(dtype, Dims)
                ?? throw new ModelFormatException(sourceName, $"{label} has invalid dims [{string.Join(", ", Dims)}].");

            ReadOnlyMemory<byte> data;
            if (_rawData is Window raw)
            {
                if (_floatData.Count > 0 || _otherTypedField is not null)
                {
                    throw new ModelFormatException(sourceName, $"{label} has both raw_data and a typed data field.");
                }

                data = model.AsMemory(raw.Offset, raw.Length);
            }
            else if (_floatData.Count > 0)
            {
                if (dtype != TensorDType.F32)
                {
                    throw new ModelFormatException(sourceName, $"{label} is {dtype} but stores float_data.");
                }

                data = Concatenate(model, _floatData);
            }
            else if (_otherTypedField is not null)
            {
                throw new ModelFormatException(
                    sourceName, $"{label} stores its values in {_otherTypedField}; only raw_data and float_data are supported.");
            }
            else
            {
                data = ReadOnlyMemory<byte>.Empty;
            }

            if (data.Length != byteLength)
            {
                throw new ModelFormatException(
                    sourceName, $"{label} has {data.Length} bytes of data but dims [{string.Join(", ", Dims)}] of {dtype} need {byteLength}.");
            }

            return data;
        }

        private static ReadOnlyMemory<byte> Concatenate(byte[] model, List<Window> windows)
        {
            if (windows is [Window single])
            {
                return model.AsMemory(single.Offset, single.Length);
            }

            long total = 0;
            foreach (Window window in windows)
            {
                total += window.Length;
            }

            var bytes = new byte[total];
            int offset = 0;
            foreach (Window window in windows)
            {
                model.AsSpan(window.Offset, window.Length).CopyTo(bytes.AsSpan(offset));
                offset += window.Length;
            }

            return bytes;
        }

        /// <summary>ONNX <c>TensorProto.DataType</c> to <see cref="TensorDType"/>, or null for types we do not carry.</summary>
        private static TensorDType? MapDataType(int dataType) => dataType switch
        {
            1 => TensorDType.F32,
            2 => TensorDType.U8,
            3 => TensorDType.I8,
            5 => TensorDType.I16,
            6 => TensorDType.I32,
            7 => TensorDType.I64,
            9 => TensorDType.Bool,
            10 => TensorDType.F16,
            11 => TensorDType.F64,
            16 => TensorDType.BF16,
            _ => null,
        };
    }
}
