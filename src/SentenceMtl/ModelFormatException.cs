namespace SentenceMtl;

/// <summary>
/// Thrown when a file the library reads (weights, configuration, vocabulary, heads, datasets) is missing,
/// damaged or inconsistent. The message names the file and the rule it breaks. A model name or path that names no
/// model at all throws the derived <c>ModelNotFoundException</c>.
/// </summary>
public class ModelFormatException : Exception
{
    /// <summary>Creates the exception for <paramref name="filePath"/>.</summary>
    /// <param name="filePath">The file (or resource name) that failed to load.</param>
    /// <param name="message">What is wrong with it.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public ModelFormatException(string filePath, string message, Exception? innerException = null)
        : base($"{filePath}: {message}", innerException)
    {
        FilePath = filePath;
    }

    /// <summary>The file (or embedded resource name) that failed to load.</summary>
    public string FilePath { get; }
}
