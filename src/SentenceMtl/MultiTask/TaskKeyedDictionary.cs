using System.Collections;

namespace SentenceMtl.MultiTask;

/// <summary>
/// A read-only dictionary keyed by task name (predictions, reports, losses), whose indexer, for a name it does not
/// hold, throws a <see cref="KeyNotFoundException"/> that lists the names it does hold, instead of the framework's
/// "The given key was not present".
/// </summary>
/// <param name="inner">The entries.</param>
/// <param name="note">Appended to the message: why a task may be missing (e.g. no labels in the evaluation set).</param>
internal sealed class TaskKeyedDictionary<TValue>(IReadOnlyDictionary<string, TValue> inner, string note = "")
    : IReadOnlyDictionary<string, TValue>
{
    /// <inheritdoc/>
    public TValue this[string key] => inner.TryGetValue(key, out var value) ? value : throw Missing(key, Keys, note);

    /// <inheritdoc/>
    public IEnumerable<string> Keys => inner.Keys;

    /// <inheritdoc/>
    public IEnumerable<TValue> Values => inner.Values;

    /// <inheritdoc/>
    public int Count => inner.Count;

    /// <summary>The exception for a task name that is not among <paramref name="names"/>.</summary>
    public static KeyNotFoundException Missing(string? key, IEnumerable<string> names, string note = "") =>
        new($"No task named '{ErrorText.Shorten(key ?? "null")}' (tasks: {ErrorText.List(names)}).{note}");

    /// <inheritdoc/>
    public bool ContainsKey(string key) => inner.ContainsKey(key);

    /// <inheritdoc/>
    public bool TryGetValue(string key, out TValue value) => inner.TryGetValue(key, out value!);

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, TValue>> GetEnumerator() => inner.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary><c>{ topic: …, sentiment: … }</c>.</summary>
    public override string ToString() =>
        "{ " + string.Join(", ", inner.Take(ResultText.MaxItems).Select(kv => $"{kv.Key}: {kv.Value}")) +
        (inner.Count > ResultText.MaxItems ? $", … and {inner.Count - ResultText.MaxItems} more" : "") + " }";
}
