using System.Buffers.Binary;
using System.Text;
using SentenceMtl.Serialization;

namespace SentenceMtl.Tests.Serialization;

public sealed class SafetensorsReaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sentencemtl-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Read_FileLaidOutLikeTheRustCrate_ReturnsTensorsInDataOrder()
    {
        // Metadata first, tensors listed out of offset order, header padded with spaces to a multiple of 8.
        string header = """{"__metadata__":{"format":"pt"},"b":{"dtype":"I64","shape":[],"data_offsets":[8,16]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""";
        byte[] data = [.. Floats(1.5f, -2f), .. BitConverter.GetBytes(42L)];
        string path = WriteFile(Layout(PadTo8(header), data));

        IReadOnlyList<TensorData> tensors = SafetensorsReader.Read(path);

        Assert.Equal(["a", "b"], tensors.Select(t => t.Name));
        Assert.Equal(TensorDType.F32, tensors[0].DType);
        Assert.Equal([2L], tensors[0].Shape);
        Assert.Equal([1.5f, -2f], tensors[0].ToFloats());
        Assert.Equal(TensorDType.I64, tensors[1].DType);
        Assert.Empty(tensors[1].Shape);
        Assert.Equal(42L, BitConverter.ToInt64(tensors[1].Bytes));
        Assert.Equal(new Dictionary<string, string> { ["format"] = "pt" }, SafetensorsReader.ReadMetadata(path));
    }

    [Fact]
    public void Read_EmptyHeader_ReturnsNoTensors()
    {
        string path = WriteFile(Layout("{}", []));

        Assert.Empty(SafetensorsReader.Read(path));
        Assert.Empty(SafetensorsReader.ReadMetadata(path));
    }

    [Fact]
    public void Read_Stream_ReadsFromCurrentPositionAndNamesTheGivenFile()
    {
        byte[] file = Layout("""{"a":{"dtype":"U8","shape":[3],"data_offsets":[0,3]}}""", [7, 8, 9]);
        using var stream = new MemoryStream([0xEE, .. file]);
        stream.Position = 1;

        IReadOnlyList<TensorData> tensors = SafetensorsReader.Read(stream, "weights.safetensors");

        Assert.Equal([7, 8, 9], Assert.Single(tensors).Bytes);
        var ex = Assert.Throws<ModelFormatException>(() => SafetensorsReader.Read(new MemoryStream([1, 2]), "weights.safetensors"));
        Assert.Equal("weights.safetensors", ex.FilePath);
    }

    [Fact]
    public void Read_NonSeekableStream_IsAnArgumentError()
    {
        using var stream = new NonSeekableStream(Layout("{}", []));

        Assert.Throws<ArgumentException>(() => SafetensorsReader.Read(stream, "x.safetensors"));
    }

    [Fact]
    public void ToFloats_ConvertsHalfBFloatAndDouble()
    {
        // 1.5 as F16 = 0x3E00; -2 as BF16 = 0xC000; 0.25 as F64.
        string header = """{"h":{"dtype":"F16","shape":[1],"data_offsets":[0,2]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[2,4]},"d":{"dtype":"F64","shape":[1],"data_offsets":[4,12]}}""";
        byte[] data = [0x00, 0x3E, 0x00, 0xC0, .. BitConverter.GetBytes(0.25)];

        IReadOnlyList<TensorData> tensors = SafetensorsReader.Read(WriteFile(Layout(header, data)));

        Assert.Equal([1.5f], tensors[0].ToFloats());
        Assert.Equal([-2f], tensors[1].ToFloats());
        Assert.Equal([0.25f], tensors[2].ToFloats());
    }

    [Fact]
    public void Read_MissingFile_NamesTheFile()
    {
        string path = Path.Combine(_folder, "absent.safetensors");

        var ex = Assert.Throws<ModelFormatException>(() => SafetensorsReader.Read(path));

        Assert.Equal(path, ex.FilePath);
        Assert.Contains("not found", ex.Message);
    }

    // Found by the SharpFuzz harness: System.Text.Json throws InvalidOperationException, not JsonException, when it
    // decodes an escaped unpaired surrogate.
    [Theory]
    [InlineData("""{"\ud800":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}""")]
    [InlineData("""{"__metadata__":{"k":"\udc00"},"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}""")]
    [InlineData("""{"w":{"dtype":"\ud800","shape":[1],"data_offsets":[0,1]}}""")]
    public void Read_EscapedUnpairedSurrogate_Fails(string header) =>
        AssertRejected(WriteFile(Layout(header, [(byte)'x'])), "not valid Unicode");

    [Fact]
    public void Read_FileShorterThanPrefix_Fails() =>
        AssertRejected(WriteFile([1, 2, 3, 4, 5]), "shorter than the 8-byte header-length prefix");

    [Fact]
    public void Read_HeaderLengthOver100MB_Fails()
    {
        var file = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(file, 100_000_001);

        AssertRejected(WriteFile(file), "exceeds the 100 MB limit");
    }

    [Fact]
    public void Read_HeaderLengthPastEndOfFile_Fails()
    {
        byte[] file = Layout("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}""", [1]);
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)file.Length);

        AssertRejected(WriteFile(file), "runs past the end of the file");
    }

    [Fact]
    public void Read_HeaderLengthOfUInt64Max_FailsWithoutOverflow()
    {
        byte[] file = Layout("{}", []);
        BinaryPrimitives.WriteUInt64LittleEndian(file, ulong.MaxValue);

        AssertRejected(WriteFile(file), "exceeds the 100 MB limit");
    }

    [Fact]
    public void Read_HeaderNotUtf8_Fails()
    {
        byte[] header = [.. System.Text.Encoding.UTF8.GetBytes("{\"a"), 0xFF, 0xFE, .. System.Text.Encoding.UTF8.GetBytes("\":5}")];

        AssertRejected(WriteFile(Layout(header, [])), "header is not valid UTF-8");
    }

    [Theory]
    [InlineData("""{"a":""", 0, "header is not valid JSON")]
    [InlineData("""[1,2]""", 0, "header is not a JSON object")]
    [InlineData("""{"a":5}""", 0, "tensor 'a' must be a JSON object")]
    [InlineData("""{"a":{"dtype":"F17","shape":[1],"data_offsets":[0,4]}}""", 4, "tensor 'a' has unknown dtype \"F17\"")]
    [InlineData("""{"a":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}""", 4, "tensor 'a' has unknown dtype 4")]
    [InlineData("""{"a":{"dtype":"F32","shape":3,"data_offsets":[0,4]}}""", 4, "shape must be an array of non-negative integers")]
    [InlineData("""{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", 4, "shape must be an array of non-negative integers")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}""", 4, "shape must be an array of non-negative integers")]
    [InlineData("""{"a":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}""", 4, "shape must be an array of non-negative integers")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}""", 4, "data_offsets must be [begin, end]")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}""", 4, "data_offsets must be [begin, end]")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}""", 4, "data_offsets must be [begin, end]")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":null}}""", 4, "tensor 'a' has unknown key 'extra'")]
    [InlineData("""{"a":{"dtype":"F32","data_offsets":[0,4]}}""", 4, "tensor 'a' is missing key 'shape'")]
    [InlineData("""{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4, "tensor 'a' has duplicate key 'dtype'")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}""", 4, "span 4 bytes but shape [2] of F32 needs 8 bytes")]
    [InlineData("""{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,0]}}""", 0, "overflows")]
    [InlineData("""{"a":{"dtype":"U8","shape":[0,4294967296,4294967296],"data_offsets":[0,0]}}""", 0, "overflows")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", 12, "tensor 'b' starts at data offset 8, leaving a gap after offset 4")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "tensor 'a' starts at data offset 4, leaving a gap after offset 0")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "overlapping the tensor that ends at offset 8")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 8, "4 trailing bytes after the last tensor")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 4, "tensors need 8 bytes of data but the data buffer has only 4")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "duplicate tensor name 'a'")]
    [InlineData("""{"__metadata__":5}""", 0, "__metadata__ must be an object of string to string")]
    [InlineData("""{"__metadata__":{"epoch":1}}""", 0, "__metadata__ must be an object of string to string")]
    public void Read_HeaderBreakingARule_FailsNamingTheFileAndTheRule(string header, int dataLength, string rule)
    {
        string path = WriteFile(Layout(header, new byte[dataLength]));

        AssertRejected(path, rule);
        Assert.Contains(rule, Assert.Throws<ModelFormatException>(() => SafetensorsReader.ReadMetadata(path)).Message);
    }

    [Fact]
    public void Read_HeaderClaimingATerabyteTensor_FailsFastWithoutAllocatingIt()
    {
        const long Terabyte = 1L << 40;
        string header = $$$"""{"big":{"dtype":"F32","shape":[{{{Terabyte / 4}}}],"data_offsets":[0,{{{Terabyte}}}]}}""";
        string path = WriteFile(Layout(header, new byte[16]));

        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<ModelFormatException>(() => SafetensorsReader.Read(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains($"tensors need {Terabyte} bytes of data but the data buffer has only 16", ex.Message);
        Assert.True(allocated < 4 << 20, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Read_FileWithACorruptedByte_ReturnsOrFailsWithModelFormatException()
    {
        byte[] file = Layout(
            """{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[0],"data_offsets":[8,8]}}""",
            new byte[8]);
        var random = new Random(7);
        for (int position = 0; position < file.Length; position++)
        {
            foreach (byte value in new[] { (byte)0x00, (byte)0xFF, (byte)'9', (byte)random.Next(256) })
            {
                byte[] corrupted = [.. file];
                corrupted[position] = value;
                try
                {
                    SafetensorsReader.Read(new MemoryStream(corrupted), "corrupt.safetensors");
                }
                catch (ModelFormatException)
                {
                    // The only acceptable failure.
                }
            }
        }
    }

    private void AssertRejected(string path, string rule)
    {
        var ex = Assert.Throws<ModelFormatException>(() => SafetensorsReader.Read(path));
        Assert.Equal(path, ex.FilePath);
        Assert.StartsWith(path, ex.Message);
        Assert.Contains(rule, ex.Message);
    }

    private string WriteFile(byte[] content)
    {
        string path = Path.Combine(_folder, $"{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, content);
        return path;
    }

    private static byte[] Layout(string header, byte[] data) => Layout(System.Text.Encoding.UTF8.GetBytes(header), data);

    private static byte[] Layout(byte[] header, byte[] data)
    {
        var prefix = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        return [.. prefix, .. header, .. data];
    }

    private static string PadTo8(string header) => header.PadRight((header.Length + 7) / 8 * 8);

    private static byte[] Floats(params float[] values) => [.. values.SelectMany(BitConverter.GetBytes)];

    private sealed class NonSeekableStream(byte[] content) : MemoryStream(content)
    {
        public override bool CanSeek => false;
    }
}
