namespace SentenceMtl.Demo;

/// <summary>Bad command-line input found only after reading the data (such as more folds than examples): exit code 2.</summary>
/// <param name="message">One line for the user.</param>
internal sealed class UsageException(string message) : Exception(message);
