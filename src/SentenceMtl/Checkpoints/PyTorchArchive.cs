using System.IO.Compression;

namespace SentenceMtl.Checkpoints;

/// <summary>
/// Checks the zip container of a <c>torch.save</c> file (<c>pytorch_model.bin</c>) before its pickle is read, so a
/// small file cannot inflate to gigabytes: <c>{name}/data.pkl</c> (the pickle: a few hundred bytes per tensor) must be
/// small, no entry may claim to inflate far beyond its compressed bytes, and the storages the pickle describes may
/// not hold more elements than the archive holds bytes. <c>torch.save</c> stores every entry
/// uncompressed, so real files pass with room to spare. Reading an entry never goes past the size the zip declares
/// for it (.NET's inflater stops there), so the declared sizes checked here bound what is read.
/// It is plain managed code, kept in the core with the other readers of untrusted files (and fuzzed with them); the
/// training package's <c>PyTorchCheckpoint.ConvertToSafetensors</c> runs it before TorchSharp.PyBridge unpickles a file.
/// </summary>
internal static class PyTorchArchive
{
    /// <summary>The largest pickle accepted, whatever the entry count: 64 MiB.</summary>
    public const long MaxPickleBytes = 64L << 20;

    /// <summary>Pickle bytes allowed per entry of the archive (each tensor's storage is one entry), beyond a fixed 64 KiB.</summary>
    public const long PickleBytesPerEntry = 4096;

    /// <summary>How far a compressed entry may inflate: 16 × its compressed size, plus 1 MiB.</summary>
    public const long MaxInflation = 16;

    /// <summary>Most entries an archive may have (a BERT checkpoint has a few hundred).</summary>
    public const int MaxEntries = 1_000_000;

    /// <summary>
    /// Reads the pickle (at most its declared size, which was bounded: one byte more means the zip lied about it) and
    /// checks every length it announces against its own size (<see cref="PickleScanner"/>).
    /// </summary>
    private static long CheckPickle(ZipArchiveEntry entry, string path)
    {
        string name = ErrorText.Shorten(entry.FullName);
        var pickle = new byte[entry.Length];
        using (var data = entry.Open())
        {
            int read = 0, n;
            while (read < pickle.Length && (n = data.Read(pickle, read, pickle.Length - read)) > 0)
            {
                read += n;
            }

            if (read < pickle.Length || data.ReadByte() >= 0)
            {
                throw new ModelFormatException(path, $"entry {name} does not hold the {entry.Length} bytes the archive declares for it.");
            }
        }

        return PickleScanner.Check(pickle, path, name);
    }

    /// <summary>Checks <paramref name="stream"/> (a seekable zip; read from its start) and leaves it at position 0.</summary>
    /// <param name="stream">The file's bytes.</param>
    /// <param name="path">Names the file in errors.</param>
    /// <exception cref="ModelFormatException">Not a zip, no single <c>data.pkl</c>, or an entry too large; the message names the entry.</exception>
    public static void Check(Stream stream, string path)
    {
        stream.Position = 0;
        try
        {
            using var archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            var entries = archive.Entries;
            if (entries.Count > MaxEntries)
            {
                throw new ModelFormatException(path, $"the archive has {entries.Count} entries (at most {MaxEntries} are accepted).");
            }

            // TorchSharp.PyBridge reads the first entry whose name ends with data.pkl.
            var pickles = entries.Where(e => e.Name.EndsWith("data.pkl", StringComparison.Ordinal)).Take(2).ToList();
            if (pickles.Count != 1)
            {
                throw new ModelFormatException(path, pickles.Count == 0
                    ? "not a PyTorch state dict: the archive has no data.pkl (save it with torch.save(model.state_dict(), …))."
                    : $"the archive has more than one data.pkl ({ErrorText.Shorten(pickles[0].FullName)}, {ErrorText.Shorten(pickles[1].FullName)}).");
            }

            long maxPickle = Math.Min(MaxPickleBytes, (64L << 10) + PickleBytesPerEntry * entries.Count);
            if (pickles[0].Length > maxPickle)
            {
                throw new ModelFormatException(path, $"entry {ErrorText.Shorten(pickles[0].FullName)} inflates to {pickles[0].Length} bytes; a pickle " +
                    $"describing {entries.Count - 1} tensor storages needs far less (at most {maxPickle} are accepted).");
            }

            long elements = CheckPickle(pickles[0], path);
            foreach (var entry in entries)
            {
                if (entry.Length > (entry.CompressedLength * MaxInflation) + (1L << 20))
                {
                    throw new ModelFormatException(path, $"entry {ErrorText.Shorten(entry.FullName)} claims to inflate from {entry.CompressedLength} " +
                        $"to {entry.Length} bytes (more than {MaxInflation}×); torch.save stores entries uncompressed, so this is not one of its files.");
                }
            }

            // The unpickler allocates what each storage's numel claims; every element takes at least one stored byte.
            long stored = entries.Where(e => e != pickles[0]).Aggregate(0L, (sum, e) => sum > long.MaxValue - e.Length ? long.MaxValue : sum + e.Length);
            if (elements > stored)
            {
                throw new ModelFormatException(path, $"entry {ErrorText.Shorten(pickles[0].FullName)} describes tensor storages of {elements} elements " +
                    $"in all, but the archive's other entries hold only {stored} bytes.");
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or NotSupportedException)
        {
            throw new ModelFormatException(path, $"not a PyTorch zip archive ({ex.Message}).", ex);
        }
        catch (IOException ex)
        {
            throw new ModelFormatException(path, $"could not be read ({ex.Message}).", ex);
        }
        finally
        {
            stream.Position = 0;
        }
    }
}
