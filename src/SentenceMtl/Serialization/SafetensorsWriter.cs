using System.Buffers;
using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SentenceMtl.Serialization;

/// <summary>
/// Writes safetensors files laid out as the Rust <c>safetensors</c> crate does: an 8-byte little-endian header
/// length, a compact JSON header (<c>__metadata__</c> first, then the tensors) padded with spaces to a multiple of
/// 8 bytes, then the tensors' bytes back to back in the order given.
/// </summary>
internal static class SafetensorsWriter
{
    /// <summary>
    /// Writes <paramref name="tensors"/> to <paramref name="path"/> atomically: the file is written to a temporary
    /// file in the same folder, flushed to disk and then moved over <paramref name="path"/>, so a reader sees either
    /// the old file or the complete new one, and a failure leaves the old file untouched and no temporary file behind.
    /// </summary>
    /// <param name="path">The target file; replaced if it exists.</param>
    /// <param name="tensors">The tensors, in the order their bytes are written. Enumerated once, before anything is written.</param>
    /// <param name="metadata">Optional string metadata stored as <c>__metadata__</c>; omitted when null or empty.</param>
    /// <exception cref="ArgumentException">Names are duplicated, reserved (<c>__metadata__</c>) or null, or the header would exceed 100 MB.</exception>
    public static void Write(string path, IEnumerable<TensorData> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);

        // Everything that can fail on the caller's side (enumeration, validation) happens before the disk is touched.
        List<TensorData> list = [.. tensors];
        byte[] header = BuildHeader(list, metadata);

        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException("The path has no folder.", nameof(path));
        string tempPath = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                Span<byte> prefix = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
                stream.Write(prefix);
                stream.Write(header);
                foreach (TensorData tensor in list)
                {
                    stream.Write(tensor.Bytes);
                }

                stream.Flush(flushToDisk: true);
            }

            File.Move(tempPath, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(tempPath);
            throw;
        }
    }

    /// <summary>The JSON header, padded with spaces to a multiple of 8 bytes.</summary>
    private static byte[] BuildHeader(List<TensorData> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        using (var json = new Utf8JsonWriter(buffer, options))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(SafetensorsHeader.MetadataKey);
                foreach ((string key, string value) in metadata)
                {
                    ArgumentNullException.ThrowIfNull(key, nameof(metadata));
                    ArgumentNullException.ThrowIfNull(value, nameof(metadata));
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            var names = new HashSet<string>(StringComparer.Ordinal);
            long offset = 0;
            foreach (TensorData tensor in tensors)
            {
                ArgumentNullException.ThrowIfNull(tensor, nameof(tensors));
                if (tensor.Name == SafetensorsHeader.MetadataKey)
                {
                    throw new ArgumentException($"'{SafetensorsHeader.MetadataKey}' is reserved and cannot name a tensor.", nameof(tensors));
                }

                if (!names.Add(tensor.Name))
                {
                    throw new ArgumentException($"Duplicate tensor name '{tensor.Name}'.", nameof(tensors));
                }

                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", SafetensorsHeader.DTypeName(tensor.DType));
                json.WriteStartArray("shape");
                foreach (long dim in tensor.Shape)
                {
                    json.WriteNumberValue(dim);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += tensor.Bytes.Length;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        int padding = (8 - (buffer.WrittenCount % 8)) % 8;
        if (buffer.WrittenCount + padding > SafetensorsHeader.MaxHeaderLength)
        {
            throw new ArgumentException(
                $"The header would be {buffer.WrittenCount} bytes, over the {SafetensorsHeader.MaxHeaderLength} byte limit readers enforce.",
                nameof(tensors));
        }

        buffer.GetSpan(padding)[..padding].Fill((byte)' ');
        buffer.Advance(padding);
        return buffer.WrittenSpan.ToArray();
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: the original error is the one worth reporting.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }
}
