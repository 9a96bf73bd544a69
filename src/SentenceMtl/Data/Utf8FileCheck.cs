using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace SentenceMtl;

/// <summary>
/// Dataset files are UTF-8 (a byte order mark is allowed). Bytes that are not UTF-8 would otherwise decode to U+FFFD and
/// reach the model as different text, so the readers decode through <see cref="OpenText"/>, which throws
/// <see cref="DecoderFallbackException"/> on them, and then ask <see cref="Problem"/> where the bad bytes are (the reader
/// decodes ahead of the line it hands out, so the line is found in the file itself).
/// </summary>
internal static class Utf8FileCheck
{
    private const int BufferSize = 1 << 16;

    // Throws on invalid bytes. Its preamble is the UTF-8 byte order mark, so StreamReader skips a leading one while
    // keeping this decoder (asked to detect byte order marks, it would switch to a replacing decoder).
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: true, throwOnInvalidBytes: true);

    /// <summary>A reader of <paramref name="path"/> as strict UTF-8, a leading byte order mark skipped.</summary>
    public static StreamReader OpenText(string path) => new(path, StrictUtf8, detectEncodingFromByteOrderMarks: false);

    /// <summary>The error for the first invalid UTF-8 sequence of <paramref name="path"/>, or null if it is all UTF-8.</summary>
    /// <param name="path">The file.</param>
    /// <param name="inner">The decoder's exception that prompted the search, if any.</param>
    public static DatasetFormatException? Problem(string path, Exception? inner)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        byte[] bytes = ArrayPool<byte>.Shared.Rent(BufferSize + 4);
        char[] chars = ArrayPool<char>.Shared.Rent(BufferSize + 4);                             // never more chars than bytes
        try
        {
            long offset = 0, lineStart = 0;                                                     // file offsets of bytes[0] and of the current line
            int line = 1, carried = 0;
            while (true)
            {
                int read = stream.Read(bytes, carried, BufferSize);
                int length = carried + read;
                var block = bytes.AsSpan(0, length);
                var status = Utf8.ToUtf16(block, chars, out int valid, out _, replaceInvalidSequences: false, isFinalBlock: read == 0);
                var done = block[..valid];
                int newlines = done.Count((byte)'\n');
                if (newlines > 0)
                {
                    line += newlines;
                    lineStart = offset + done.LastIndexOf((byte)'\n') + 1;
                }

                if (status == OperationStatus.InvalidData)
                {
                    long at = offset + valid;
                    return new DatasetFormatException(path, line, Describe(block[valid..], at, at - lineStart), inner);
                }

                if (read == 0)
                {
                    return null;
                }

                carried = length - valid;                                                       // an incomplete sequence at the end of the block
                block[valid..].CopyTo(bytes);
                offset += valid;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    private static string Describe(ReadOnlySpan<byte> rest, long offset, long column)
    {
        if (offset == 0 && rest.Length >= 2 && ((rest[0] == 0xFF && rest[1] == 0xFE) || (rest[0] == 0xFE && rest[1] == 0xFF)))
        {
            return "the file is UTF-16 (it starts with a UTF-16 byte order mark); dataset files must be UTF-8: save it as UTF-8";
        }

        string shown = Convert.ToHexString(rest[..Math.Min(rest.Length, 4)]);
        return $"invalid UTF-8 at byte offset {offset} of the file (byte {column + 1} of the line: 0x{shown}); dataset files must be " +
            "UTF-8 (a byte order mark is allowed): save the file as UTF-8 (for example Excel's \"CSV UTF-8\"), or convert it " +
            "(for example iconv -f windows-1252 -t utf-8)";
    }
}
