using System.Text;

namespace SentenceMtl.Checkpoints;

/// <summary>
/// Reads model files with a cap on the bytes actually read, not on what the file system reports: a symlink to
/// <c>/dev/zero</c> or a FIFO has length 0 and never ends, and a file may grow while it is read. Every cap is far
/// above what a real model's file needs.
/// </summary>
internal static class BoundedFile
{
    /// <summary>Cap for a JSON description (<c>config.json</c>, <c>tokenizer_config.json</c>, <c>modules.json</c>,
    /// <c>multitask_config.json</c>, …): 16 MiB; a real one is a few KB.</summary>
    public const long MaxJsonBytes = 16L << 20;

    /// <summary>Cap for a WordPiece <c>vocab.txt</c>: 64 MiB (a 1,000,000-token vocabulary of long tokens is ~20 MB).</summary>
    public const long MaxVocabularyBytes = 64L << 20;

    /// <summary>The whole of <paramref name="path"/> as UTF-8 text (a byte-order mark is dropped).</summary>
    /// <exception cref="ModelFormatException">The file holds more than <paramref name="maxBytes"/> bytes, or cannot be read.</exception>
    public static string ReadAllText(string path, long maxBytes)
    {
        using var stream = OpenRead(path, maxBytes);
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        try
        {
            return reader.ReadToEnd();
        }
        catch (IOException ex) when (ex is not EndOfStreamException)
        {
            throw new ModelFormatException(path, $"could not be read ({ex.Message}).", ex);
        }
    }

    /// <summary>Opens <paramref name="path"/> for reading; reading past <paramref name="maxBytes"/> throws.</summary>
    /// <exception cref="ModelFormatException">The file cannot be opened (raised by the open), or holds too many bytes (raised by a read).</exception>
    public static Stream OpenRead(string path, long maxBytes)
    {
        try
        {
            return new CappedStream(File.OpenRead(path), path, maxBytes);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(path, $"could not be opened ({ex.Message}).", ex);
        }
    }

    /// <summary>A read-only pass-through that counts bytes and fails once more than the cap have arrived.</summary>
    private sealed class CappedStream(Stream inner, string path, long maxBytes) : Stream
    {
        private long read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => read;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            // Ask for one byte more than the cap allows, so a file of exactly the cap still reads to its end.
            long room = maxBytes + 1 - read;
            int n = inner.Read(buffer[..(int)Math.Min(buffer.Length, room)]);
            read += n;
            if (read > maxBytes)
            {
                throw new ModelFormatException(path,
                    $"larger than {maxBytes >> 20} MiB, far more than such a file needs; refusing to read it whole (is it the right file?).");
            }

            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
