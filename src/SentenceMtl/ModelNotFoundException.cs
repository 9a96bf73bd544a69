namespace SentenceMtl;

/// <summary>
/// Thrown when a model name or path names no model, whatever it was read as: no folder at a path, no saved
/// <see cref="MultiTaskModel"/> folder, no embedded model of that name, a hub id that is neither in the Hugging Face
/// cache nor on the hub (or the hub could not be reached to ask, or <c>HF_HUB_OFFLINE</c> is set). The message says
/// where it looked and, when a close name exists there, suggests it (<see cref="Suggestion"/>).
/// </summary>
/// <remarks>
/// It derives from <see cref="ModelFormatException"/>, which a missing model threw before, so existing
/// <c>catch (ModelFormatException)</c> blocks still catch it. When the hub could not be reached, the
/// <see cref="Exception.InnerException"/> is the <see cref="HttpRequestException"/> (a transfer that fails after the hub
/// has found the model still throws <see cref="HttpRequestException"/>: the model exists, and calling again resumes).
/// </remarks>
public sealed class ModelNotFoundException : ModelFormatException
{
    /// <summary>Creates the exception for <paramref name="modelNameOrPath"/>.</summary>
    /// <param name="modelNameOrPath">The name or path as the caller gave it.</param>
    /// <param name="message">Where it was looked for, and the suggestion if any.</param>
    /// <param name="suggestion">The closest existing name or path, or null.</param>
    /// <param name="innerException">The underlying error (the hub's answer, or why it could not be reached), if any.</param>
    public ModelNotFoundException(string modelNameOrPath, string message, string? suggestion = null, Exception? innerException = null)
        : base(modelNameOrPath, message, innerException)
    {
        Suggestion = suggestion;
    }

    /// <summary>The closest existing model name, hub id or folder (by edit distance, ignoring case), or null.</summary>
    public string? Suggestion { get; }
}
