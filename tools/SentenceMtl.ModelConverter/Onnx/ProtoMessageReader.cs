using System.Text;
using Google.Protobuf;

namespace SentenceMtl.ModelConverter.Onnx;

/// <summary>
/// Walks the fields of one protobuf message that lies in a window of a byte array, using
/// <see cref="CodedInputStream"/> for the wire format. Length-delimited fields come back as windows into the same
/// array rather than copies, so a large <c>raw_data</c> field is never copied just to be looked at.
/// Every malformed input surfaces as a <see cref="ModelFormatException"/> or an
/// <see cref="InvalidProtocolBufferException"/> (the caller wraps the latter).
/// </summary>
internal sealed class ProtoMessageReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte[] _buffer;
    private readonly int _end;
    private readonly string _messageName;
    private readonly string _sourceName;
    private CodedInputStream _input;
    private int _inputOffset;
    private long _inputBasePosition;

    /// <summary>Starts reading the message in <paramref name="window"/> of <paramref name="buffer"/>.</summary>
    /// <param name="buffer">The whole file.</param>
    /// <param name="window">Where the message lies in <paramref name="buffer"/>.</param>
    /// <param name="messageName">The protobuf message type, for error messages (e.g. <c>TensorProto</c>).</param>
    /// <param name="sourceName">The file name, for error messages.</param>
    public ProtoMessageReader(byte[] buffer, Window window, string messageName, string sourceName)
    {
        _buffer = buffer;
        _end = window.Offset + window.Length;
        _messageName = messageName;
        _sourceName = sourceName;
        _input = StartAt(window.Offset);
    }

    /// <summary>The field number of the field <see cref="Next"/> reached.</summary>
    public int FieldNumber { get; private set; }

    /// <summary>The wire type of the field <see cref="Next"/> reached.</summary>
    public WireFormat.WireType WireType { get; private set; }

    /// <summary>The absolute offset in the buffer of the next unread byte.</summary>
    private int Position => _inputOffset + (int)(_input.Position - _inputBasePosition);

    /// <summary>Moves to the next field; call one Read method or <see cref="Skip"/> after each.</summary>
    /// <returns><see langword="false"/> at the end of the message.</returns>
    public bool Next()
    {
        if (Position >= _end)
        {
            return false;
        }

        uint tag = _input.ReadTag();
        FieldNumber = WireFormat.GetTagFieldNumber(tag);
        WireType = WireFormat.GetTagWireType(tag);
        if (WireType is not (WireFormat.WireType.Varint or WireFormat.WireType.Fixed64
            or WireFormat.WireType.LengthDelimited or WireFormat.WireType.Fixed32))
        {
            throw Malformed($"field {FieldNumber} has wire type {(int)WireType}, which ONNX never uses");
        }

        return true;
    }

    /// <summary>Reads the current field as a varint.</summary>
    /// <returns>The raw 64-bit value (negative int64 values come back as their two's complement).</returns>
    public ulong ReadVarint()
    {
        Expect(WireFormat.WireType.Varint);
        return _input.ReadUInt64();
    }

    /// <summary>Reads the current field as a 32-bit float (wire type fixed32).</summary>
    /// <returns>The value.</returns>
    public float ReadFloat()
    {
        Expect(WireFormat.WireType.Fixed32);
        return _input.ReadFloat();
    }

    /// <summary>Reads the current fixed32 field and returns where its four bytes lie, without decoding them.</summary>
    /// <returns>The four little-endian bytes as a window.</returns>
    public Window ReadFixed32Window()
    {
        Expect(WireFormat.WireType.Fixed32);
        int start = Position;
        _input.ReadFixed32();
        return new Window(start, 4);
    }

    /// <summary>Reads the current length-delimited field (bytes, string, sub-message or packed values).</summary>
    /// <returns>Where its payload lies in the buffer.</returns>
    public Window ReadLengthDelimited()
    {
        Expect(WireFormat.WireType.LengthDelimited);
        ulong length = _input.ReadUInt64();
        int start = Position;
        if (length > (ulong)(_end - start))
        {
            throw Malformed($"field {FieldNumber} claims {length} bytes but only {_end - start} remain (truncated or corrupt file)");
        }

        // CodedInputStream cannot skip bytes without copying them through its public API, so restart it past the payload.
        _input = StartAt(start + (int)length);
        return new Window(start, (int)length);
    }

    /// <summary>Reads the current field as a UTF-8 string.</summary>
    /// <returns>The string.</returns>
    public string ReadString()
    {
        Window window = ReadLengthDelimited();
        try
        {
            return StrictUtf8.GetString(_buffer, window.Offset, window.Length);
        }
        catch (DecoderFallbackException ex)
        {
            throw new ModelFormatException(_sourceName, $"{_messageName} field {FieldNumber} is not valid UTF-8.", ex);
        }
    }

    /// <summary>Reads a repeated int64 field, packed or not, appending its values to <paramref name="values"/>.</summary>
    /// <param name="values">Where to append.</param>
    public void ReadInt64s(List<long> values)
    {
        if (WireType != WireFormat.WireType.LengthDelimited)
        {
            values.Add((long)ReadVarint());
            return;
        }

        Window packed = ReadLengthDelimited();
        var input = new CodedInputStream(_buffer, packed.Offset, packed.Length);
        while (!input.IsAtEnd)
        {
            values.Add(input.ReadInt64());
        }
    }

    /// <summary>Skips the current field.</summary>
    public void Skip()
    {
        if (WireType == WireFormat.WireType.LengthDelimited)
        {
            ReadLengthDelimited();
        }
        else
        {
            _input.SkipLastField();
        }
    }

    /// <summary>An error about the current message, naming the file.</summary>
    /// <param name="message">What is wrong.</param>
    /// <returns>The exception to throw.</returns>
    public ModelFormatException Malformed(string message) => new(_sourceName, $"{_messageName}: {message}.");

    private void Expect(WireFormat.WireType expected)
    {
        if (WireType != expected)
        {
            throw Malformed($"field {FieldNumber} has wire type {WireType}, expected {expected}");
        }
    }

    private CodedInputStream StartAt(int offset)
    {
        var input = new CodedInputStream(_buffer, offset, _end - offset);
        _inputOffset = offset;
        _inputBasePosition = input.Position;
        return input;
    }

    /// <summary>A range of bytes in the buffer.</summary>
    /// <param name="Offset">The first byte.</param>
    /// <param name="Length">The number of bytes.</param>
    internal readonly record struct Window(int Offset, int Length);
}
