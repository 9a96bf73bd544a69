namespace SentenceMtl.Serialization;

/// <summary>
/// Reads safetensors files (the Hugging Face weight format) into <see cref="TensorData"/>. The whole header is
/// validated against the file's length before any tensor buffer is allocated, so a damaged or hostile file fails
/// with a <see cref="ModelFormatException"/> naming the broken rule instead of exhausting memory.
/// </summary>
internal static class SafetensorsReader
{
    /// <summary>Reads every tensor of the file at <paramref name="path"/>.</summary>
    /// <param name="path">The <c>.safetensors</c> file.</param>
    /// <returns>The tensors in the order of their bytes in the file (for files we write: the order given to the writer).</returns>
    /// <exception cref="ModelFormatException">The file is missing or breaks a rule of the format.</exception>
    public static IReadOnlyList<TensorData> Read(string path)
    {
        using FileStream stream = Open(path);
        return Read(stream, path);
    }

    /// <summary>Reads every tensor from <paramref name="stream"/>, from its current position to its end.</summary>
    /// <param name="stream">A readable, seekable stream (its length bounds what the header may claim).</param>
    /// <param name="fileName">The name used in error messages.</param>
    /// <returns>The tensors in the order of their bytes in the file.</returns>
    /// <exception cref="ArgumentException">The stream cannot read or seek.</exception>
    /// <exception cref="ModelFormatException">The content breaks a rule of the format.</exception>
    public static IReadOnlyList<TensorData> Read(Stream stream, string fileName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(fileName);
        if (!stream.CanRead || !stream.CanSeek)
        {
            throw new ArgumentException("The stream must be readable and seekable, so the header can be checked against its length.", nameof(stream));
        }

        SafetensorsHeader header = SafetensorsHeader.Read(stream, fileName);
        var tensors = new List<TensorData>(header.Entries.Count);
        ReadEntries(stream, header, fileName, entry =>
        {
            long length = entry.End - entry.Begin;
            if (length > Array.MaxLength)
            {
                throw new ModelFormatException(
                    fileName, $"tensor '{entry.Name}' is {length} bytes, more than one .NET array can hold ({Array.MaxLength}).");
            }

            var bytes = new byte[length];
            tensors.Add(new TensorData(entry.Name, entry.DType, entry.Shape, bytes));
            return bytes;
        });
        return tensors;
    }

    /// <summary>Where one tensor's bytes go: exactly <c>End − Begin</c> bytes of memory.</summary>
    internal delegate Span<byte> EntryDestination(SafetensorsHeader.Entry entry);

    /// <summary>
    /// Reads every tensor's bytes, in file order, into the memory <paramref name="destination"/> gives for it — a
    /// managed array, or a native tensor's buffer. <paramref name="header"/> must just have been read from
    /// <paramref name="stream"/>, which is then at the first tensor (entries are sorted and contiguous).
    /// </summary>
    /// <exception cref="ModelFormatException">The file ended early (it changed while being read).</exception>
    internal static void ReadEntries(Stream stream, SafetensorsHeader header, string fileName, EntryDestination destination)
    {
        foreach (SafetensorsHeader.Entry entry in header.Entries)
        {
            var memory = destination(entry);
            try
            {
                stream.ReadExactly(memory);
            }
            catch (EndOfStreamException ex)
            {
                throw new ModelFormatException(fileName, $"file ended while reading tensor '{entry.Name}' (was it changed while being read?).", ex);
            }
        }
    }

    /// <summary>
    /// Reads the <c>__metadata__</c> object of the file at <paramref name="path"/> without reading any tensor.
    /// The header is validated in full, as by <see cref="Read(string)"/>.
    /// </summary>
    /// <param name="path">The <c>.safetensors</c> file.</param>
    /// <returns>The metadata; empty when the file has none.</returns>
    /// <exception cref="ModelFormatException">The file is missing or breaks a rule of the format.</exception>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        using FileStream stream = Open(path);
        return SafetensorsHeader.Read(stream, path).Metadata;
    }

    /// <summary>Opens a safetensors file for one sequential read; a missing file is a <see cref="ModelFormatException"/>.</summary>
    internal static FileStream Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ModelFormatException(path, "file not found.", ex);
        }
    }
}
