using System.Text;

namespace SentenceMtl.Tests.Data;

/// <summary>A temporary folder for dataset files written by a test; deleted on dispose.</summary>
internal sealed class TempDataFiles : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("sentencemtl-data-");

    /// <summary>Writes <paramref name="content"/> verbatim (UTF-8, no byte order mark, line breaks as given).</summary>
    public string Write(string fileName, string content)
    {
        string path = Path.Combine(_folder.FullName, fileName);
        File.WriteAllText(path, content, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        return path;
    }

    /// <summary>Writes <paramref name="content"/> byte for byte.</summary>
    public string WriteBytes(string fileName, byte[] content)
    {
        string path = Path.Combine(_folder.FullName, fileName);
        File.WriteAllBytes(path, content);
        return path;
    }

    /// <summary>A path in the folder that does not exist.</summary>
    public string Missing(string fileName) => Path.Combine(_folder.FullName, fileName);

    public void Dispose() => _folder.Delete(recursive: true);
}
