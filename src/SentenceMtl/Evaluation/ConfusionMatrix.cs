using System.Globalization;
using System.Text;

namespace SentenceMtl;

/// <summary>
/// Counts of (true label, predicted label) pairs, as scikit-learn's <c>confusion_matrix</c>: entry [i, j] is the
/// number of samples whose true label is <c>Labels[i]</c> and whose predicted label is <c>Labels[j]</c>.
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly int[] _labels;
    private readonly int[,] _counts; // (true, pred)

    private ConfusionMatrix(int[] labels, int[,] counts)
    {
        _labels = labels;
        _counts = counts;
    }

    /// <summary>The labels indexing rows (true) and columns (predicted), in matrix order.</summary>
    public IReadOnlyList<int> Labels => _labels;

    /// <summary>The number of samples with true label <c>Labels[trueIndex]</c> predicted as <c>Labels[predIndex]</c>.</summary>
    /// <param name="trueIndex">Row: the index of the true label in <see cref="Labels"/>.</param>
    /// <param name="predIndex">Column: the index of the predicted label in <see cref="Labels"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside [0, <c>Labels.Count</c>).</exception>
    public int this[int trueIndex, int predIndex]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(trueIndex);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(trueIndex, _labels.Length);
            ArgumentOutOfRangeException.ThrowIfNegative(predIndex);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(predIndex, _labels.Length);
            return _counts[trueIndex, predIndex];
        }
    }

    /// <summary>Computes the confusion matrix of predictions against ground truth.</summary>
    /// <param name="yTrue">The true label of each sample.</param>
    /// <param name="yPred">The predicted label of each sample, aligned with <paramref name="yTrue"/>.</param>
    /// <param name="labels">The labels indexing the matrix, in order; they may reorder or select a subset, and samples
    /// whose true or predicted label is not listed are left out. By default, every label that appears in
    /// <paramref name="yTrue"/> or <paramref name="yPred"/>, sorted.</param>
    /// <returns>The matrix.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="yTrue"/> or <paramref name="yPred"/> is null.</exception>
    /// <exception cref="ArgumentException">The inputs are empty or of different lengths; <paramref name="labels"/> is
    /// empty, repeats a label, or has no label that occurs in <paramref name="yTrue"/>.</exception>
    public static ConfusionMatrix Create(IReadOnlyList<int> yTrue, IReadOnlyList<int> yPred, IReadOnlyList<int>? labels = null)
    {
        CheckTargets(yTrue, yPred);
        int[] matrixLabels;
        if (labels is null)
        {
            matrixLabels = UniqueLabels(yTrue, yPred);
        }
        else
        {
            matrixLabels = CheckLabels(labels);
            var present = new HashSet<int>(yTrue);
            if (!matrixLabels.Any(present.Contains))
            {
                throw new ArgumentException("At least one label specified must be in y_true", nameof(labels));
            }
        }

        return Count(yTrue, yPred, matrixLabels);
    }

    /// <summary>A copy of the counts, [true, predicted].</summary>
    /// <returns>A new <c>Labels.Count</c> × <c>Labels.Count</c> array the caller owns.</returns>
    public int[,] ToArray() => (int[,])_counts.Clone();

    /// <summary>
    /// The matrix as text: <see cref="ToText"/> with the labels as names.
    /// </summary>
    /// <returns>The table.</returns>
    public override string ToString() => ToText();

    /// <summary>
    /// The matrix as a right-aligned text table: a header line with the predicted labels' names, then one line per
    /// true label, its name first. Lines end with <c>\n</c>.
    /// </summary>
    /// <param name="names">Display names for <see cref="Labels"/>, same order; by default the labels as text.</param>
    /// <returns>The table.</returns>
    /// <exception cref="ArgumentException"><paramref name="names"/> does not have one non-null name per label.</exception>
    public string ToText(IReadOnlyList<string>? names = null)
    {
        if (names is not null && (names.Count != _labels.Length || names.Any(name => name is null)))
        {
            throw new ArgumentException(
                $"Expected one non-null name per label ({_labels.Length}); got {names.Count} names.", nameof(names));
        }

        string[] headings = names?.ToArray() ?? _labels.Select(l => l.ToString(CultureInfo.InvariantCulture)).ToArray();
        int n = _labels.Length;
        int nameWidth = headings.Max(TextLength);
        int cellWidth = nameWidth;
        foreach (int count in _counts)
        {
            cellWidth = Math.Max(cellWidth, count.ToString(CultureInfo.InvariantCulture).Length);
        }

        var text = new StringBuilder();
        text.Append(' ', nameWidth);
        foreach (string heading in headings)
        {
            text.Append("  ").Append(PadLeft(heading, cellWidth));
        }

        text.Append('\n');
        for (int i = 0; i < n; i++)
        {
            text.Append(PadLeft(headings[i], nameWidth));
            for (int j = 0; j < n; j++)
            {
                text.Append("  ").Append(_counts[i, j].ToString(CultureInfo.InvariantCulture).PadLeft(cellWidth));
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Counts the pairs over already checked labels, without the "one label in y_true" rule.</summary>
    internal static ConfusionMatrix Count(IReadOnlyList<int> yTrue, IReadOnlyList<int> yPred, int[] labels)
    {
        var index = IndexOf(labels);
        var counts = new int[labels.Length, labels.Length];
        for (int s = 0; s < yTrue.Count; s++)
        {
            if (index.TryGetValue(yTrue[s], out int i) && index.TryGetValue(yPred[s], out int j))
            {
                counts[i, j]++;
            }
        }

        return new ConfusionMatrix(labels, counts);
    }

    /// <summary>scikit-learn's input checks: non-null, same length, at least one sample.</summary>
    internal static void CheckTargets(IReadOnlyList<int> yTrue, IReadOnlyList<int> yPred)
    {
        ArgumentNullException.ThrowIfNull(yTrue);
        ArgumentNullException.ThrowIfNull(yPred);
        if (yTrue.Count != yPred.Count)
        {
            throw new ArgumentException(
                $"Found input variables with inconsistent numbers of samples: [{yTrue.Count}, {yPred.Count}] " +
                "(yTrue and yPred must have the same length).", nameof(yPred));
        }

        if (yTrue.Count == 0)
        {
            throw new ArgumentException(
                "Found empty input array (e.g., `y_true` or `y_pred`) while a minimum of 1 sample is required.",
                nameof(yTrue));
        }
    }

    /// <summary>scikit-learn's <c>unique_labels</c>: the sorted union of the labels in both inputs.</summary>
    internal static int[] UniqueLabels(IReadOnlyList<int> yTrue, IReadOnlyList<int> yPred)
    {
        var set = new SortedSet<int>(yTrue);
        set.UnionWith(yPred);
        return [.. set];
    }

    /// <summary>Checks user-given labels: at least one, no repeats. Returns a private copy.</summary>
    internal static int[] CheckLabels(IReadOnlyList<int> labels)
    {
        if (labels.Count == 0)
        {
            throw new ArgumentException("'labels' should contain at least one label.", nameof(labels));
        }

        var seen = new HashSet<int>();
        foreach (int label in labels)
        {
            if (!seen.Add(label))
            {
                throw new ArgumentException($"'labels' lists {label} more than once.", nameof(labels));
            }
        }

        return [.. labels];
    }

    // Widths count code points, as the classification report's (Python's len).
    private static int TextLength(string text) => text.EnumerateRunes().Count();

    private static string PadLeft(string text, int width) => new string(' ', Math.Max(0, width - TextLength(text))) + text;

    internal static Dictionary<int, int> IndexOf(int[] labels)
    {
        var index = new Dictionary<int, int>(labels.Length);
        for (int i = 0; i < labels.Length; i++)
        {
            index.Add(labels[i], i);
        }

        return index;
    }
}
