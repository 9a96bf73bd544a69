using System.Buffers.Binary;

namespace SentenceMtl.Checkpoints;

/// <summary>
/// Walks a pickle's opcodes (protocols 0–5) without executing anything, to check that every length the pickle
/// announces — of a string, bytes, a long, a frame — fits in the bytes that follow. The unpickler allocates what a
/// length claims before reading it, so a 1 KB pickle claiming a 4 GB string would allocate 4 GB; after this scan no
/// claim exceeds the pickle's own size.
/// </summary>
internal static class PickleScanner
{
    /// <summary>Checks <paramref name="pickle"/> up to its STOP opcode.</summary>
    /// <param name="pickle">The whole pickle.</param>
    /// <param name="source">Names the file in errors.</param>
    /// <param name="entry">Names the pickle's entry in the file, in errors.</param>
    /// <exception cref="ModelFormatException">An unknown opcode, a length past the end, or no STOP.</exception>
    public static void Check(ReadOnlySpan<byte> pickle, string source, string entry)
    {
        int at = 0;
        while (at < pickle.Length)
        {
            byte op = pickle[at++];
            long skip = op switch
            {
                (byte)'.' => -1,                                                                // STOP
                (byte)'(' or (byte)'0' or (byte)'1' or (byte)'2' or (byte)'N' or (byte)'Q' or (byte)'R' or (byte)'a' or (byte)'b'
                    or (byte)'d' or (byte)'}' or (byte)'e' or (byte)'l' or (byte)']' or (byte)'o' or (byte)'s' or (byte)'t'
                    or (byte)')' or (byte)'u' or 0x81 or 0x85 or 0x86 or 0x87 or 0x88 or 0x89 or 0x8f or 0x90 or 0x91 or 0x92
                    or 0x93 or 0x94 or 0x97 or 0x98 => 0,
                (byte)'K' or (byte)'h' or (byte)'q' or 0x80 or 0x82 => 1,
                (byte)'M' or 0x83 => 2,
                (byte)'J' or (byte)'j' or (byte)'r' or 0x84 => 4,
                (byte)'G' or 0x95 => 8,                                                         // BINFLOAT, FRAME (its length only)
                (byte)'U' or 0x8c or (byte)'C' or 0x8a => 1 + Length(pickle, at, 1, source, entry),
                (byte)'T' or (byte)'X' or (byte)'B' or 0x8b => 4 + Length(pickle, at, 4, source, entry),
                0x8d or 0x8e or 0x96 => 8 + Length(pickle, at, 8, source, entry),
                (byte)'I' or (byte)'L' or (byte)'F' or (byte)'S' or (byte)'V' or (byte)'g' or (byte)'p' or (byte)'P' => Line(pickle, at, 1, source, entry),
                (byte)'c' or (byte)'i' => Line(pickle, at, 2, source, entry),
                _ => throw new ModelFormatException(source, $"entry {entry}: not a pickle: unknown opcode 0x{op:x2} at byte {at - 1}."),
            };
            if (skip < 0)
            {
                return;
            }

            if (skip > pickle.Length - at)
            {
                throw new ModelFormatException(source, $"entry {entry}: opcode 0x{op:x2} at byte {at - 1} claims {skip} bytes, but the pickle ends after {pickle.Length - at}.");
            }

            at += (int)skip;
        }

        throw new ModelFormatException(source, $"entry {entry}: the pickle ends without its STOP opcode (the file is cut short).");
    }

    /// <summary>A little-endian length of <paramref name="size"/> bytes at <paramref name="at"/>.</summary>
    private static long Length(ReadOnlySpan<byte> pickle, int at, int size, string source, string entry)
    {
        if (pickle.Length - at < size)
        {
            throw new ModelFormatException(source, $"entry {entry}: the pickle ends inside a length at byte {at}.");
        }

        var bytes = pickle.Slice(at, size);
        long length = size switch
        {
            1 => bytes[0],
            4 => BinaryPrimitives.ReadUInt32LittleEndian(bytes),
            _ => BinaryPrimitives.ReadInt64LittleEndian(bytes),
        };
        return length >= 0 ? length : long.MaxValue;                                           // a negative 8-byte length is past any end
    }

    /// <summary>The bytes taken by <paramref name="lines"/> newline-terminated arguments from <paramref name="at"/>.</summary>
    private static long Line(ReadOnlySpan<byte> pickle, int at, int lines, string source, string entry)
    {
        int start = at;
        for (int i = 0; i < lines; i++)
        {
            int end = pickle[at..].IndexOf((byte)'\n');
            if (end < 0)
            {
                throw new ModelFormatException(source, $"entry {entry}: the pickle ends inside a text argument at byte {at}.");
            }

            at += end + 1;
        }

        return at - start;
    }
}
