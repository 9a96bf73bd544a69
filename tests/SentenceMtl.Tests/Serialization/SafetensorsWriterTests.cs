using System.Buffers.Binary;
using SentenceMtl.Serialization;

namespace SentenceMtl.Tests.Serialization;

public sealed class SafetensorsWriterTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sentencemtl-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Write_EveryDType_RoundTripsNamesShapesAndBytes()
    {
        TensorDType[] dtypes = Enum.GetValues<TensorDType>();
        List<TensorData> tensors = [.. dtypes.Select((dtype, i) => Filled($"t{i}.{dtype}", dtype, [2, 3]))];
        string path = PathFor("all.safetensors");

        SafetensorsWriter.Write(path, tensors);
        IReadOnlyList<TensorData> read = SafetensorsReader.Read(path);

        Assert.Equal(tensors.Select(t => t.Name), read.Select(t => t.Name));
        Assert.Equal(dtypes, read.Select(t => t.DType));
        Assert.All(read, t => Assert.Equal([2L, 3L], t.Shape));
        Assert.Equal(tensors.Select(t => t.Bytes), read.Select(t => t.Bytes));
    }

    [Fact]
    public void Write_ScalarAndEmptyTensors_RoundTrip()
    {
        TensorData[] tensors =
        [
            TensorData.FromFloats("empty", [0], []),
            TensorData.FromFloats("scalar", [], [3.25f]),
            new TensorData("empty3d", TensorDType.I64, [2, 0, 3], []),
            TensorData.FromFloats("after", [2], [1f, 2f]),
        ];
        string path = PathFor("edge.safetensors");

        SafetensorsWriter.Write(path, tensors);
        IReadOnlyList<TensorData> read = SafetensorsReader.Read(path);

        Assert.Equal(["empty", "scalar", "empty3d", "after"], read.Select(t => t.Name));
        Assert.Equal([0L], read[0].Shape);
        Assert.Empty(read[0].Bytes);
        Assert.Empty(read[1].Shape);
        Assert.Equal([3.25f], read[1].ToFloats());
        Assert.Equal([2L, 0L, 3L], read[2].Shape);
        Assert.Equal([1f, 2f], read[3].ToFloats());
    }

    [Fact]
    public void Write_Metadata_RoundTripsAndComesFirst()
    {
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode \"quoted\" +<>" };
        string path = PathFor("meta.safetensors");

        SafetensorsWriter.Write(path, [TensorData.FromFloats("w", [1], [1f])], metadata);

        Assert.Equal(metadata, SafetensorsReader.ReadMetadata(path));
        Assert.StartsWith("{\"__metadata__\":{", HeaderText(path));
    }

    [Fact]
    public void Write_WithoutMetadata_WritesNone()
    {
        string path = PathFor("nometa.safetensors");

        SafetensorsWriter.Write(path, [TensorData.FromFloats("w", [1], [1f])], new Dictionary<string, string>());

        Assert.Empty(SafetensorsReader.ReadMetadata(path));
        Assert.DoesNotContain("__metadata__", HeaderText(path));
    }

    [Fact]
    public void Write_SmallFile_MatchesTheRustCrateLayoutByteForByte()
    {
        string path = PathFor("golden.safetensors");

        SafetensorsWriter.Write(path, [TensorData.FromFloats("a", [2], [1f, 2f]), new TensorData("b", TensorDType.U8, [1], [9])]);

        const string Json = """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[1],"data_offsets":[8,9]}}""";
        string padded = Json.PadRight((Json.Length + 7) / 8 * 8);
        byte[] expected =
        [
            .. BitConverter.GetBytes((ulong)padded.Length),
            .. System.Text.Encoding.ASCII.GetBytes(padded),
            .. BitConverter.GetBytes(1f), .. BitConverter.GetBytes(2f), 9,
        ];
        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(13)]
    public void Write_Header_IsPaddedWithSpacesToAMultipleOf8(int nameLength)
    {
        string path = PathFor("pad.safetensors");

        SafetensorsWriter.Write(path, [TensorData.FromFloats(new string('x', nameLength), [1], [0f])]);

        string header = HeaderText(path);
        Assert.Equal(0, header.Length % 8);
        Assert.EndsWith("}", header.TrimEnd(' '));
        Assert.Single(SafetensorsReader.Read(path));
    }

    [Fact]
    public void Write_KeepsTheGivenOrderForOffsets()
    {
        string path = PathFor("order.safetensors");

        SafetensorsWriter.Write(path, [TensorData.FromFloats("z", [1], [1f]), TensorData.FromFloats("a", [1], [2f])]);

        Assert.Contains("\"z\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", HeaderText(path));
        Assert.Equal(["z", "a"], SafetensorsReader.Read(path).Select(t => t.Name));
    }

    [Fact]
    public void Write_ExistingFile_IsReplaced()
    {
        string path = PathFor("replace.safetensors");
        SafetensorsWriter.Write(path, [TensorData.FromFloats("old", [3], [1f, 2f, 3f])]);

        SafetensorsWriter.Write(path, [TensorData.FromFloats("new", [1], [4f])]);

        Assert.Equal("new", Assert.Single(SafetensorsReader.Read(path)).Name);
        Assert.Single(Directory.GetFiles(_folder));
    }

    [Fact]
    public void Write_EnumerationThrowingMidway_LeavesThePreviousFileIntactAndNoTemporaryFile()
    {
        string path = PathFor("atomic.safetensors");
        SafetensorsWriter.Write(path, [TensorData.FromFloats("old", [2], [1f, 2f])]);
        byte[] before = File.ReadAllBytes(path);

        static IEnumerable<TensorData> FailingHalfway()
        {
            yield return TensorData.FromFloats("a", [1024], new float[1024]);
            throw new InvalidOperationException("producer failed");
        }

        Assert.Throws<InvalidOperationException>(() => SafetensorsWriter.Write(path, FailingHalfway()));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_folder));
    }

    [Fact]
    public void Write_FailingToReplaceTheTarget_LeavesNoTemporaryFile()
    {
        // A folder sits where the file should go, so the final move fails after the data was written.
        string path = PathFor("taken.safetensors");
        Directory.CreateDirectory(path);

        Assert.ThrowsAny<IOException>(() => SafetensorsWriter.Write(path, [TensorData.FromFloats("a", [4], new float[4])]));

        Assert.Empty(Directory.GetFiles(_folder));
        Assert.True(Directory.Exists(path));
    }

    [Fact]
    public void Write_InvalidNames_AreRejectedBeforeTouchingTheDisk()
    {
        string path = PathFor("invalid.safetensors");

        Assert.Throws<ArgumentException>(() =>
            SafetensorsWriter.Write(path, [TensorData.FromFloats("a", [1], [1f]), TensorData.FromFloats("a", [1], [2f])]));
        Assert.Throws<ArgumentException>(() =>
            SafetensorsWriter.Write(path, [TensorData.FromFloats("__metadata__", [1], [1f])]));

        Assert.Empty(Directory.GetFileSystemEntries(_folder));
    }

    [Fact]
    public void TensorData_BytesNotMatchingShape_IsAnArgumentError()
    {
        Assert.Throws<ArgumentException>(() => new TensorData("a", TensorDType.F32, [2], new byte[4]));
        Assert.Throws<ArgumentException>(() => new TensorData("a", TensorDType.F32, [-1], []));
        Assert.Throws<InvalidOperationException>(() => new TensorData("a", TensorDType.I32, [1], new byte[4]).ToFloats());
    }

    private string PathFor(string fileName) => Path.Combine(_folder, fileName);

    /// <summary>A tensor whose bytes are 0, 1, 2, … so that any misplacement shows.</summary>
    private static TensorData Filled(string name, TensorDType dtype, long[] shape)
    {
        var bytes = new byte[shape.Aggregate(1L, (a, b) => a * b) * TensorData.ElementSize(dtype)];
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = dtype == TensorDType.Bool ? (byte)(i % 2) : (byte)(i + (int)dtype);
        }

        return new TensorData(name, dtype, shape, bytes);
    }

    private static string HeaderText(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        return System.Text.Encoding.UTF8.GetString(file, 8, length);
    }
}
