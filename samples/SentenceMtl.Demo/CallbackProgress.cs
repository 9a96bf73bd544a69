namespace SentenceMtl.Demo;

/// <summary>
/// An <see cref="IProgress{T}"/> that calls back on the reporting thread, at once and in order (unlike
/// <see cref="Progress{T}"/>, which posts to the thread pool where no synchronization context exists).
/// </summary>
/// <param name="report">Called with each value.</param>
internal sealed class CallbackProgress<T>(Action<T> report) : IProgress<T>
{
    /// <inheritdoc/>
    public void Report(T value) => report(value);
}
