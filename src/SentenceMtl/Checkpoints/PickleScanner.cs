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
    /// <summary>
    /// Checks <paramref name="pickle"/> up to its STOP opcode, and adds up the element counts of the storages its
    /// persistent ids name, where they are written as <c>torch.save</c> writes them: the tuple
    /// <c>('storage', type, key, location, numel)</c> closed by TUPLE right after numel's integer, then BINPERSID (memo
    /// PUTs in between are allowed).
    /// The unpickler allocates numel elements per storage, so the caller compares the sum with the bytes the archive holds.
    /// </summary>
    /// <param name="pickle">The whole pickle.</param>
    /// <param name="source">Names the file in errors.</param>
    /// <param name="entry">Names the pickle's entry in the file, in errors.</param>
    /// <returns>The sum of the element counts recognised (saturating at <see cref="long.MaxValue"/>).</returns>
    /// <exception cref="ModelFormatException">An unknown opcode, a length past the end, or no STOP.</exception>
    public static long Check(ReadOnlySpan<byte> pickle, string source, string entry)
    {
        int at = 0;
        long elements = 0;
        long? lastInteger = null, integerBeforeTuple = null;
        byte lastOp = 0;
        while (at < pickle.Length)
        {
            byte op = pickle[at++];
            if (op == (byte)'Q' && lastOp == (byte)'t' && integerBeforeTuple is { } numel)
            {
                elements = numel < 0 || numel > long.MaxValue - elements ? long.MaxValue : elements + numel;
            }

            if (op is not ((byte)'q' or (byte)'r' or 0x94))                                    // a memo PUT leaves the stack as it is
            {
                integerBeforeTuple = op == (byte)'t' ? lastInteger : null;
                lastInteger = Integer(pickle, at, op);
                lastOp = op;
            }
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
                return elements;
            }

            if (skip > pickle.Length - at)
            {
                throw new ModelFormatException(source, $"entry {entry}: opcode 0x{op:x2} at byte {at - 1} claims {skip} bytes, but the pickle ends after {pickle.Length - at}.");
            }

            at += (int)skip;
        }

        throw new ModelFormatException(source, $"entry {entry}: the pickle ends without its STOP opcode (the file is cut short).");
    }

    /// <summary>The value of a binary integer opcode (BININT1, BININT2, BININT, LONG1) whose argument starts at <paramref name="at"/>, else null.</summary>
    private static long? Integer(ReadOnlySpan<byte> pickle, int at, byte op)
    {
        var rest = pickle[at..];
        return op switch
        {
            (byte)'K' when rest.Length >= 1 => rest[0],
            (byte)'M' when rest.Length >= 2 => BinaryPrimitives.ReadUInt16LittleEndian(rest),
            (byte)'J' when rest.Length >= 4 => BinaryPrimitives.ReadInt32LittleEndian(rest),
            0x8a when rest.Length >= 1 && rest[0] <= 8 && rest.Length > rest[0] => Long1(rest.Slice(1, rest[0])),
            0x8a => long.MaxValue,                                                             // wider than 8 bytes: huge
            _ => null,
        };
    }

    /// <summary>A little-endian two's-complement integer of up to 8 bytes.</summary>
    private static long Long1(ReadOnlySpan<byte> bytes)
    {
        long value = 0;
        for (int i = bytes.Length - 1; i >= 0; i--)
        {
            value = (value << 8) | bytes[i];
        }

        int unused = 64 - (8 * bytes.Length);
        return bytes.Length == 0 ? 0 : bytes.Length == 8 ? value : (value << unused) >> unused;
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
