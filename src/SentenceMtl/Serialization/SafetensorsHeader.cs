using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;

namespace SentenceMtl.Serialization;

/// <summary>
/// The validated header of a safetensors file: an 8-byte little-endian length N, N bytes of UTF-8 JSON,
/// then the data buffer that the JSON's <c>data_offsets</c> index. Reading it checks every rule of the
/// format against the stream's length, so nothing the header claims is allocated before it is known to fit.
/// </summary>
internal sealed class SafetensorsHeader
{
    /// <summary>The largest JSON header accepted, as in the Rust crate (100 MB).</summary>
    public const int MaxHeaderLength = 100_000_000;

    /// <summary>The key under which a header keeps its string-to-string metadata.</summary>
    public const string MetadataKey = "__metadata__";

    private const int PrefixLength = 8;

    private SafetensorsHeader(IReadOnlyList<Entry> entries, IReadOnlyDictionary<string, string> metadata, long dataStart)
    {
        Entries = entries;
        Metadata = metadata;
        DataStart = dataStart;
    }

    /// <summary>The tensors, sorted by where their bytes start (the order they were written).</summary>
    public IReadOnlyList<Entry> Entries { get; }

    /// <summary>The <c>__metadata__</c> object; empty when the header has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Where the data buffer starts, counted from the start of the file: 8 + N.</summary>
    public long DataStart { get; }

    /// <summary>
    /// Reads and validates the header at the stream's current position; the rest of the stream is the data buffer.
    /// Leaves the stream positioned at the start of the data buffer.
    /// </summary>
    /// <param name="stream">A readable, seekable stream.</param>
    /// <param name="fileName">The file name used in error messages.</param>
    /// <returns>The validated header.</returns>
    /// <exception cref="ModelFormatException">The file breaks a rule of the format.</exception>
    public static SafetensorsHeader Read(Stream stream, string fileName)
    {
        long fileLength = stream.Length - stream.Position;
        if (fileLength < PrefixLength)
        {
            throw new ModelFormatException(
                fileName, $"file is {fileLength} bytes, shorter than the 8-byte header-length prefix of a safetensors file.");
        }

        Span<byte> prefix = stackalloc byte[PrefixLength];
        stream.ReadExactly(prefix);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderLength)
        {
            throw new ModelFormatException(
                fileName, $"header length {headerLength} exceeds the {MaxHeaderLength / 1_000_000} MB limit for a safetensors header.");
        }

        if ((long)headerLength > fileLength - PrefixLength)
        {
            throw new ModelFormatException(
                fileName, $"header length {headerLength} runs past the end of the file ({fileLength} bytes).");
        }

        var json = new byte[headerLength];
        stream.ReadExactly(json);
        long dataStart = PrefixLength + (long)headerLength;
        (List<Entry> entries, Dictionary<string, string> metadata) = Parse(json, fileName);
        CheckLayout(entries, fileLength - dataStart, fileName);
        return new SafetensorsHeader(entries, metadata, dataStart);
    }

    /// <summary>The safetensors spelling of <paramref name="dtype"/> (<c>F32</c>, <c>BOOL</c>, …).</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns>The dtype string of the format.</returns>
    public static string DTypeName(TensorDType dtype) => dtype switch
    {
        TensorDType.Bool => "BOOL",
        _ when Enum.IsDefined(dtype) => dtype.ToString(),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown tensor dtype."),
    };

    private static bool TryParseDType(string name, out TensorDType dtype)
    {
        foreach (TensorDType candidate in Enum.GetValues<TensorDType>())
        {
            if (DTypeName(candidate) == name)
            {
                dtype = candidate;
                return true;
            }
        }

        dtype = default;
        return false;
    }

    private static (List<Entry> Entries, Dictionary<string, string> Metadata) Parse(byte[] json, string fileName)
    {
        try
        {
            return ParseValidUtf8(json, fileName);
        }
        catch (InvalidOperationException ex)
        {
            // System.Text.Json throws this (not JsonException) for an escaped unpaired surrogate such as "\ud800".
            throw new ModelFormatException(fileName, $"header holds a JSON string that is not valid Unicode ({ex.Message}).", ex);
        }
    }

    private static (List<Entry> Entries, Dictionary<string, string> Metadata) ParseValidUtf8(byte[] json, string fileName)
    {
        if (!Utf8.IsValid(json))
        {
            throw new ModelFormatException(fileName, "header is not valid UTF-8.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException(fileName, $"header is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ModelFormatException(fileName, $"header is not a JSON object (it is {root.ValueKind}).");
            }

            var entries = new List<Entry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty property in root.EnumerateObject())
            {
                if (!names.Add(property.Name))
                {
                    throw new ModelFormatException(fileName, $"duplicate tensor name '{ErrorText.Shorten(property.Name)}' in the header.");
                }

                if (property.Name == MetadataKey)
                {
                    ReadMetadata(property.Value, metadata, fileName);
                }
                else
                {
                    entries.Add(ReadEntry(property.Name, property.Value, fileName));
                }
            }

            return (entries, metadata);
        }
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string fileName)
    {
        const string Rule = "__metadata__ must be an object of string to string";
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new ModelFormatException(fileName, $"{Rule} (it is {value.ValueKind}).");
        }

        foreach (JsonProperty item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
            {
                throw new ModelFormatException(fileName, $"{Rule} ('{item.Name}' is {item.Value.ValueKind}).");
            }

            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
            {
                throw new ModelFormatException(fileName, $"{Rule} (duplicate key '{item.Name}').");
            }
        }
    }

    private static Entry ReadEntry(string name, JsonElement value, string fileName)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new ModelFormatException(fileName, $"tensor '{ErrorText.Shorten(name)}' must be a JSON object (it is {value.ValueKind}).");
        }

        JsonElement? dtypeElement = null, shapeElement = null, offsetsElement = null;
        foreach (JsonProperty field in value.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype":
                    dtypeElement = FirstOccurrence(dtypeElement, field, name, fileName);
                    break;
                case "shape":
                    shapeElement = FirstOccurrence(shapeElement, field, name, fileName);
                    break;
                case "data_offsets":
                    offsetsElement = FirstOccurrence(offsetsElement, field, name, fileName);
                    break;
                default:
                    throw new ModelFormatException(
                        fileName, $"tensor '{ErrorText.Shorten(name)}' has unknown key '{ErrorText.Shorten(field.Name)}' (allowed: dtype, shape, data_offsets).");
            }
        }

        JsonElement dtypeValue = dtypeElement ?? throw Missing(name, "dtype", fileName);
        JsonElement shapeValue = shapeElement ?? throw Missing(name, "shape", fileName);
        JsonElement offsetsValue = offsetsElement ?? throw Missing(name, "data_offsets", fileName);

        if (dtypeValue.ValueKind != JsonValueKind.String || !TryParseDType(dtypeValue.GetString()!, out TensorDType dtype))
        {
            throw new ModelFormatException(
                fileName,
                $"tensor '{ErrorText.Shorten(name)}' has unknown dtype {ErrorText.Shorten(dtypeValue.GetRawText())} "
                + "(known: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL).");
        }

        long[] shape = ReadIntegers(shapeValue)
            ?? throw new ModelFormatException(fileName, $"tensor '{ErrorText.Shorten(name)}': shape must be an array of non-negative integers.");
        long[]? offsets = ReadIntegers(offsetsValue);
        if (offsets is not [long begin, long end] || begin > end)
        {
            throw new ModelFormatException(
                fileName, $"tensor '{ErrorText.Shorten(name)}': data_offsets must be [begin, end], two non-negative integers with begin <= end.");
        }

        long byteLength = TensorData.TryByteLength(dtype, shape)
            ?? throw new ModelFormatException(
                fileName, $"tensor '{ErrorText.Shorten(name)}': the byte length of shape [{ErrorText.Shorten(string.Join(", ", shape))}] of {DTypeName(dtype)} overflows.");
        if (end - begin != byteLength)
        {
            throw new ModelFormatException(
                fileName,
                $"tensor '{ErrorText.Shorten(name)}': data_offsets [{begin}, {end}] span {end - begin} bytes but shape "
                + $"[{ErrorText.Shorten(string.Join(", ", shape))}] of {DTypeName(dtype)} needs {byteLength} bytes.");
        }

        return new Entry(name, dtype, shape, begin, end);
    }

    private static JsonElement FirstOccurrence(JsonElement? existing, JsonProperty field, string name, string fileName) =>
        existing is null
            ? field.Value
            : throw new ModelFormatException(fileName, $"tensor '{ErrorText.Shorten(name)}' has duplicate key '{ErrorText.Shorten(field.Name)}'.");

    private static ModelFormatException Missing(string name, string key, string fileName) =>
        new(fileName, $"tensor '{ErrorText.Shorten(name)}' is missing key '{key}'.");

    /// <summary>An array of non-negative integers that fit a <see cref="long"/>, or <see langword="null"/>.</summary>
    private static long[]? ReadIntegers(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var result = new long[value.GetArrayLength()];
        int i = 0;
        foreach (JsonElement item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long number) || number < 0)
            {
                return null;
            }

            result[i++] = number;
        }

        return result;
    }

    /// <summary>
    /// Sorts <paramref name="entries"/> by offset and checks that they tile the data buffer exactly:
    /// contiguous from 0, no gap, no overlap, nothing left over.
    /// </summary>
    private static void CheckLayout(List<Entry> entries, long dataLength, string fileName)
    {
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long position = 0;
        foreach (Entry entry in entries)
        {
            if (entry.Begin > position)
            {
                throw new ModelFormatException(
                    fileName,
                    $"tensor '{ErrorText.Shorten(entry.Name)}' starts at data offset {entry.Begin}, leaving a gap after offset {position} "
                    + "(tensors must cover the data buffer contiguously).");
            }

            if (entry.Begin < position)
            {
                throw new ModelFormatException(
                    fileName,
                    $"tensor '{ErrorText.Shorten(entry.Name)}' starts at data offset {entry.Begin}, overlapping the tensor that ends at offset {position}.");
            }

            position = entry.End;
        }

        if (position > dataLength)
        {
            throw new ModelFormatException(
                fileName,
                $"tensors need {position} bytes of data but the data buffer has only {dataLength} (file truncated?).");
        }

        if (position < dataLength)
        {
            throw new ModelFormatException(
                fileName,
                $"the data buffer has {dataLength - position} trailing bytes after the last tensor (it must end at offset {position}).");
        }
    }

    /// <summary>One tensor's header entry; <see cref="Begin"/> and <see cref="End"/> are offsets into the data buffer.</summary>
    /// <param name="Name">The tensor's key.</param>
    /// <param name="DType">The element type.</param>
    /// <param name="Shape">The dimensions.</param>
    /// <param name="Begin">The first byte, relative to the data buffer.</param>
    /// <param name="End">One past the last byte, relative to the data buffer.</param>
    internal sealed record Entry(string Name, TensorDType DType, long[] Shape, long Begin, long End);
}
