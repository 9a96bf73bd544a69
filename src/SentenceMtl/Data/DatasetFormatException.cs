namespace SentenceMtl;

/// <summary>
/// Thrown when a dataset file cannot be read as examples: malformed JSON or CSV, a missing text, an unknown label.
/// The message is <c>"{path}:{line}: {problem}"</c>, or <c>"{path}: {problem}"</c> when the problem is the whole file.
/// </summary>
public sealed class DatasetFormatException : Exception
{
    /// <summary>Creates the exception for a problem at <paramref name="lineNumber"/> of <paramref name="filePath"/>.</summary>
    /// <param name="filePath">The dataset file.</param>
    /// <param name="lineNumber">The 1-based line where the problem is (for CSV, where the record starts); 0 when the
    /// problem is the whole file.</param>
    /// <param name="message">What is wrong.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public DatasetFormatException(string filePath, int lineNumber, string message, Exception? inner = null)
        : base(Format(filePath, lineNumber, message), inner)
    {
        FilePath = filePath;
        LineNumber = lineNumber;
    }

    /// <summary>The dataset file.</summary>
    public string FilePath { get; }

    /// <summary>The 1-based line of the problem; 0 when the problem is the whole file (such as no examples).</summary>
    public int LineNumber { get; }

    private static string Format(string filePath, int lineNumber, string message)
    {
        ArgumentNullException.ThrowIfNull(filePath);
        ArgumentOutOfRangeException.ThrowIfNegative(lineNumber);
        ArgumentNullException.ThrowIfNull(message);
        return lineNumber == 0 ? $"{filePath}: {message}" : $"{filePath}:{lineNumber}: {message}";
    }
}
