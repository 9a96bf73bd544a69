using System.Buffers.Binary;
using System.Text;

namespace SentenceMtl.Native;

/// <summary>
/// A minimal reader (and one-field writer) of a 64-bit little-endian ELF shared object: just enough to list
/// the symbol versions it defines (<c>.gnu.version_d</c>), the versions it requires (<c>.gnu.version_r</c>) and
/// which dynamic symbols carry a required version. See the System V gABI and the LSB "Symbol Versioning" chapter.
/// </summary>
internal sealed class ElfImage
{
    private const uint ShtDynsym = 11;
    private const uint ShtGnuVerdef = 0x6ffffffd;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const uint ShtGnuVersym = 0x6fffffff;

    /// <summary>VER_FLG_WEAK: a missing version is then a warning for the dynamic loader, not an error.</summary>
    public const ushort VerFlagWeak = 0x2;

    private readonly byte[] bytes;
    private readonly string path;
    private readonly List<Section> sections = [];

    private ElfImage(byte[] bytes, string path)
    {
        this.bytes = bytes;
        this.path = path;
        ParseSections();
    }

    /// <summary>The raw file contents (mutated by <see cref="SetRequirementFlags"/>).</summary>
    public byte[] Bytes => bytes;

    /// <summary>Reads and parses the ELF file at <paramref name="path"/>.</summary>
    public static ElfImage Read(string path) => new(File.ReadAllBytes(path), path);

    /// <summary>The version names this object defines (e.g. <c>GLIBCXX_3.4.30</c> in libstdc++).</summary>
    public IReadOnlyList<string> DefinedVersions()
    {
        var result = new List<string>();
        foreach (var section in sections.Where(s => s.Type == ShtGnuVerdef))
        {
            var strtab = sections[(int)section.Link];
            long entry = section.Offset;
            for (int i = 0; i < (int)section.Info; i++)
            {
                uint auxOffset = U32(entry + 12);
                result.Add(CString(strtab.Offset + U32(entry + auxOffset)));
                uint next = U32(entry + 16);
                if (next == 0)
                {
                    break;
                }

                entry += next;
            }
        }

        return result;
    }

    /// <summary>The version requirements (<c>Vernaux</c> entries) of this object.</summary>
    public IReadOnlyList<VersionRequirement> RequiredVersions()
    {
        var result = new List<VersionRequirement>();
        foreach (var section in sections.Where(s => s.Type == ShtGnuVerneed))
        {
            var strtab = sections[(int)section.Link];
            long need = section.Offset;
            for (int i = 0; i < (int)section.Info; i++)
            {
                string file = CString(strtab.Offset + U32(need + 4));
                int count = U16(need + 2);
                long aux = need + U32(need + 8);
                for (int j = 0; j < count; j++)
                {
                    result.Add(new VersionRequirement(
                        file,
                        CString(strtab.Offset + U32(aux + 8)),
                        U16(aux + 4),
                        U16(aux + 6),
                        aux + 4));
                    uint nextAux = U32(aux + 12);
                    if (nextAux == 0)
                    {
                        break;
                    }

                    aux += nextAux;
                }

                uint nextNeed = U32(need + 12);
                if (nextNeed == 0)
                {
                    break;
                }

                need += nextNeed;
            }
        }

        return result;
    }

    /// <summary>Names of the dynamic symbols whose version index is <paramref name="versionIndex"/>.</summary>
    public IReadOnlyList<string> SymbolsWithVersion(ushort versionIndex)
    {
        var dynsym = sections.Single(s => s.Type == ShtDynsym);
        var versym = sections.Single(s => s.Type == ShtGnuVersym);
        var strtab = sections[(int)dynsym.Link];
        long count = dynsym.Size / 24;
        var names = new List<string>();
        for (long i = 0; i < count; i++)
        {
            if ((U16(versym.Offset + (2 * i)) & 0x7fff) == versionIndex)
            {
                names.Add(CString(strtab.Offset + U32(dynsym.Offset + (24 * i))));
            }
        }

        return names;
    }

    /// <summary>Overwrites the <c>vna_flags</c> field of one requirement in <see cref="Bytes"/>.</summary>
    public void SetRequirementFlags(VersionRequirement requirement, ushort flags) =>
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(checked((int)requirement.FlagsOffset), 2), flags);

    private void ParseSections()
    {
        if (bytes.Length < 64 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F')
        {
            throw new ModelFormatException(path, "not an ELF file.");
        }

        if (bytes[4] != 2 || bytes[5] != 1)
        {
            throw new ModelFormatException(path, "only 64-bit little-endian ELF files are supported.");
        }

        long shoff = (long)U64(0x28);
        int shentsize = U16(0x3A);
        int shnum = U16(0x3C);
        if (shentsize != 64 || shoff <= 0 || shoff + ((long)shnum * shentsize) > bytes.Length)
        {
            throw new ModelFormatException(path, "section header table is out of bounds.");
        }

        for (int i = 0; i < shnum; i++)
        {
            long h = shoff + (i * 64L);
            var section = new Section(U32(h + 4), (long)U64(h + 24), (long)U64(h + 32), U32(h + 40), U32(h + 44));
            if (section.Type != 8 && section.Offset + section.Size > bytes.Length)
            {
                throw new ModelFormatException(path, $"section {i} is out of bounds.");
            }

            sections.Add(section);
        }
    }

    private ushort U16(long offset) => BinaryPrimitives.ReadUInt16LittleEndian(Slice(offset, 2));

    private uint U32(long offset) => BinaryPrimitives.ReadUInt32LittleEndian(Slice(offset, 4));

    private ulong U64(long offset) => BinaryPrimitives.ReadUInt64LittleEndian(Slice(offset, 8));

    private ReadOnlySpan<byte> Slice(long offset, int length)
    {
        if (offset < 0 || offset + length > bytes.Length)
        {
            throw new ModelFormatException(path, $"read of {length} bytes at offset {offset} is out of bounds.");
        }

        return bytes.AsSpan((int)offset, length);
    }

    private string CString(long offset)
    {
        if (offset < 0 || offset >= bytes.Length)
        {
            throw new ModelFormatException(path, $"string offset {offset} is out of bounds.");
        }

        var rest = bytes.AsSpan((int)offset);
        int end = rest.IndexOf((byte)0);
        if (end < 0)
        {
            throw new ModelFormatException(path, $"unterminated string at offset {offset}.");
        }

        return Encoding.UTF8.GetString(rest[..end]);
    }

    private readonly record struct Section(uint Type, long Offset, long Size, uint Link, uint Info);
}

/// <summary>One <c>Vernaux</c> entry: the object needs <paramref name="Version"/> from <paramref name="File"/>.</summary>
/// <param name="File">The needed library's soname, e.g. <c>libstdc++.so.6</c>.</param>
/// <param name="Version">The version name, e.g. <c>GLIBCXX_3.4.32</c>.</param>
/// <param name="Flags">The <c>vna_flags</c> field (<see cref="ElfImage.VerFlagWeak"/>).</param>
/// <param name="Index">The <c>vna_other</c> field: the version index used in <c>.gnu.version</c>.</param>
/// <param name="FlagsOffset">File offset of <c>vna_flags</c>.</param>
internal sealed record VersionRequirement(string File, string Version, ushort Flags, ushort Index, long FlagsOffset);
