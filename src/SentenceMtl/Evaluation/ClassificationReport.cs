using System.Globalization;
using System.Text;
using System.Text.Json;
using SentenceMtl.Evaluation;

namespace SentenceMtl;

/// <summary>
/// Per-class precision, recall, F1 and support with their averages: scikit-learn's <c>classification_report</c>,
/// value for value and, through <see cref="ToText"/>, character for character.
/// </summary>
/// <remarks>
/// Matches scikit-learn 1.5 and later (read against the 1.6/1.7 sources of <c>sklearn/metrics/_classification.py</c>):
/// F1 comes from the counts, 2·tp / (2·tp + fp + fn), as since 1.4 (PR 27936), not from precision and recall; and
/// "accuracy" replaces the micro average whenever the labels cover every label present in the data, a superset
/// included, as since 1.5 (PR 28399, issue 27927). Averages are summed in NumPy's order, so even 17 printed digits
/// agree. Differences: empty inputs, <c>labels</c> with repeats, and <c>targetNames</c> of the wrong length are
/// errors (scikit-learn warns and drops rows in the last case when labels are given); <see cref="ToJson"/> writes
/// support as an integer and NaN as null.
/// </remarks>
public sealed class ClassificationReport
{
    private const string LongestLastLineHeading = "weighted avg";
    private static readonly string[] Headers = ["precision", "recall", "f1-score", "support"];

    // scikit-learn quirk: when no sample at all is predicted correctly, multilabel_confusion_matrix builds its counts
    // from float zeros, so the supports come out as floats and the text report prints them as "3.0".
    private readonly bool _supportPrintsAsFloat;

    private ClassificationReport(
        ClassificationReportRow[] rows,
        double? accuracy,
        ClassificationReportRow? microAverage,
        ClassificationReportRow macroAverage,
        ClassificationReportRow weightedAverage,
        ConfusionMatrix confusionMatrix,
        bool supportPrintsAsFloat)
    {
        Rows = rows;
        Accuracy = accuracy;
        MicroAverage = microAverage;
        MacroAverage = macroAverage;
        WeightedAverage = weightedAverage;
        ConfusionMatrix = confusionMatrix;
        _supportPrintsAsFloat = supportPrintsAsFloat;
    }

    /// <summary>One row per label, in label order.</summary>
    public IReadOnlyList<ClassificationReportRow> Rows { get; }

    /// <summary>
    /// The fraction of samples predicted correctly; null when the labels leave out a label present in the data, in
    /// which case the report shows <see cref="MicroAverage"/> instead.
    /// </summary>
    public double? Accuracy { get; }

    /// <summary>Metrics from the tp, fp and fn summed over the labels; null when <see cref="Accuracy"/> is shown instead.</summary>
    public ClassificationReportRow? MicroAverage { get; }

    /// <summary>The unweighted mean of the rows' metrics (NaN values, from a NaN zero-division value, left out).</summary>
    public ClassificationReportRow MacroAverage { get; }

    /// <summary>The support-weighted mean of the rows' metrics (NaN values left out; the plain mean when every
    /// remaining support is 0).</summary>
    public ClassificationReportRow WeightedAverage { get; }

    /// <summary>The confusion matrix over the report's labels, in the same order.</summary>
    public ConfusionMatrix ConfusionMatrix { get; }

    /// <summary>Builds the report of predictions against ground truth.</summary>
    /// <param name="yTrue">The true label of each sample.</param>
    /// <param name="yPred">The predicted label of each sample, aligned with <paramref name="yTrue"/>.</param>
    /// <param name="labels">The labels to report on, in order. Labels absent from the data get a row with support 0;
    /// leaving out a label present in the data replaces "accuracy" by "micro avg". By default, every label that
    /// appears in <paramref name="yTrue"/> or <paramref name="yPred"/>, sorted.</param>
    /// <param name="targetNames">Display names for the labels, same order; by default the labels as text.</param>
    /// <param name="zeroDivision">The value a metric takes when its denominator is 0: 0, 1 or <see cref="double.NaN"/>
    /// (NaN values are left out of the averages), as scikit-learn's <c>zero_division</c>.</param>
    /// <returns>The report.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="yTrue"/> or <paramref name="yPred"/> is null.</exception>
    /// <exception cref="ArgumentException">The inputs are empty or of different lengths; <paramref name="labels"/> is
    /// empty or repeats a label; <paramref name="targetNames"/> does not have one non-null name per label.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="zeroDivision"/> is not 0, 1 or NaN.</exception>
    public static ClassificationReport Create(
        IReadOnlyList<int> yTrue,
        IReadOnlyList<int> yPred,
        IReadOnlyList<int>? labels = null,
        IReadOnlyList<string>? targetNames = null,
        double zeroDivision = 0)
    {
        ConfusionMatrix.CheckTargets(yTrue, yPred);
        if (!(zeroDivision == 0 || zeroDivision == 1 || double.IsNaN(zeroDivision)))
        {
            throw new ArgumentOutOfRangeException(
                nameof(zeroDivision), zeroDivision, "zero_division must be 0, 1 or NaN (scikit-learn's {0.0, 1.0, np.nan}).");
        }

        int[] present = ConfusionMatrix.UniqueLabels(yTrue, yPred);
        int[] reportLabels = labels is null ? present : ConfusionMatrix.CheckLabels(labels);
        bool microIsAccuracy = labels is null || present.All(new HashSet<int>(reportLabels).Contains);
        string[] names = NamesFor(reportLabels, targetNames, labelsGiven: labels is not null);

        // Per-label counts over all samples (multilabel_confusion_matrix): a sample counts towards its true label's
        // support and its predicted label's predictions even when the other label is not reported.
        var index = ConfusionMatrix.IndexOf(reportLabels);
        int n = reportLabels.Length;
        var truePositives = new int[n];
        var trueSums = new int[n];
        var predSums = new int[n];
        bool anyCorrect = false;
        for (int s = 0; s < yTrue.Count; s++)
        {
            bool correct = yTrue[s] == yPred[s];
            anyCorrect |= correct;
            if (index.TryGetValue(yTrue[s], out int t))
            {
                trueSums[t]++;
                if (correct)
                {
                    truePositives[t]++;
                }
            }

            if (index.TryGetValue(yPred[s], out int p))
            {
                predSums[p]++;
            }
        }

        var precision = new double[n];
        var recall = new double[n];
        var f1 = new double[n];
        var rows = new ClassificationReportRow[n];
        for (int i = 0; i < n; i++)
        {
            precision[i] = Divide(truePositives[i], predSums[i], zeroDivision);
            recall[i] = Divide(truePositives[i], trueSums[i], zeroDivision);
            f1[i] = Divide(2L * truePositives[i], (long)trueSums[i] + predSums[i], zeroDivision);
            rows[i] = new ClassificationReportRow(names[i], precision[i], recall[i], f1[i], trueSums[i]);
        }

        int totalSupport = trueSums.Sum();
        long tpTotal = truePositives.Sum(x => (long)x);
        long trueTotal = trueSums.Sum(x => (long)x);
        long predTotal = predSums.Sum(x => (long)x);
        var micro = new ClassificationReportRow(
            "micro avg",
            Divide(tpTotal, predTotal, zeroDivision),
            Divide(tpTotal, trueTotal, zeroDivision),
            Divide(2 * tpTotal, trueTotal + predTotal, zeroDivision),
            totalSupport);
        var macro = new ClassificationReportRow(
            "macro avg",
            NumpyReductions.NanAverage(precision),
            NumpyReductions.NanAverage(recall),
            NumpyReductions.NanAverage(f1),
            totalSupport);
        var weighted = new ClassificationReportRow(
            "weighted avg",
            NumpyReductions.NanAverage(precision, trueSums),
            NumpyReductions.NanAverage(recall, trueSums),
            NumpyReductions.NanAverage(f1, trueSums),
            totalSupport);

        return new ClassificationReport(
            rows,
            microIsAccuracy ? micro.F1Score : null, // micro F1 = micro precision = micro recall = accuracy here
            microIsAccuracy ? null : micro,
            macro,
            weighted,
            ConfusionMatrix.Count(yTrue, yPred, reportLabels),
            supportPrintsAsFloat: !anyCorrect);
    }

    /// <summary>The report as text: <see cref="ToText"/> with two digits, as scikit-learn prints it by default.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => ToText();

    /// <summary>The report as scikit-learn's <c>classification_report(..., digits=digits)</c> prints it.</summary>
    /// <param name="digits">Digits after the decimal point for the metrics.</param>
    /// <returns>The text, every line ending with <c>\n</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="digits"/> is negative.</exception>
    public string ToText(int digits = 2)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(digits);
        int nameWidth = Rows.Max(row => TextLength(row.Name));
        int width = Math.Max(Math.Max(nameWidth, LongestLastLineHeading.Length), digits);

        // head_fmt = "{:>{width}s} " + " {:>9}" * len(headers)
        var text = new StringBuilder();
        text.Append(PadLeft("", width)).Append(' ');
        foreach (string header in Headers)
        {
            text.Append(' ').Append(PadLeft(header, 9));
        }

        text.Append("\n\n");
        foreach (var row in Rows)
        {
            AppendRow(text, row, width, digits);
        }

        text.Append('\n');
        if (Accuracy is double accuracy)
        {
            // row_fmt_accuracy = "{:>{width}s} " + " {:>9.{digits}}" * 2 + " {:>9.{digits}f}" + " {:>9}\n", with "" for P and R
            text.Append(PadLeft("accuracy", width)).Append(' ')
                .Append(' ', 20)
                .Append(' ').Append(PadLeft(PythonFloatFormat.Fixed(accuracy, digits), 9))
                .Append(' ').Append(PadLeft(SupportText(WeightedAverage.Support), 9))
                .Append('\n');
        }
        else
        {
            AppendRow(text, MicroAverage!, width, digits);
        }

        AppendRow(text, MacroAverage, width, digits);
        AppendRow(text, WeightedAverage, width, digits);
        return text.ToString();
    }

    /// <summary>
    /// The report as JSON in the shape of scikit-learn's <c>output_dict=True</c>: one object per class name with
    /// <c>precision</c>, <c>recall</c>, <c>f1-score</c> and <c>support</c>, then <c>"accuracy": x</c> or a
    /// <c>"micro avg"</c> object, then <c>"macro avg"</c> and <c>"weighted avg"</c>. Numbers are unrounded (written as
    /// Python's <c>repr</c>), support is an integer, NaN is written as null.
    /// </summary>
    /// <returns>Indented JSON text.</returns>
    public string ToJson()
    {
        // A Python dict: a repeated key keeps its first position and takes the last value.
        var entries = new List<KeyValuePair<string, object>>();
        void Set(string key, object value)
        {
            int at = entries.FindIndex(entry => entry.Key == key);
            if (at >= 0)
            {
                entries[at] = new(key, value);
            }
            else
            {
                entries.Add(new(key, value));
            }
        }

        foreach (var row in Rows)
        {
            Set(row.Name, row);
        }

        if (Accuracy is double accuracy)
        {
            Set("accuracy", accuracy);
        }
        else
        {
            Set(MicroAverage!.Name, MicroAverage);
        }

        Set(MacroAverage.Name, MacroAverage);
        Set(WeightedAverage.Name, WeightedAverage);

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            foreach (var (key, value) in entries)
            {
                json.WritePropertyName(key);
                if (value is ClassificationReportRow row)
                {
                    json.WriteStartObject();
                    WriteNumber(json, "precision", row.Precision);
                    WriteNumber(json, "recall", row.Recall);
                    WriteNumber(json, "f1-score", row.F1Score);
                    json.WriteNumber("support", row.Support);
                    json.WriteEndObject();
                }
                else
                {
                    WriteNumber(json, null, (double)value);
                }
            }

            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string[] NamesFor(int[] labels, IReadOnlyList<string>? targetNames, bool labelsGiven)
    {
        if (targetNames is null)
        {
            return labels.Select(label => label.ToString(CultureInfo.InvariantCulture)).ToArray();
        }

        if (targetNames.Count != labels.Length)
        {
            // scikit-learn's messages; it only warns (and drops rows) when labels are given, we refuse both.
            string message = labelsGiven
                ? $"labels size, {labels.Length}, does not match size of target_names, {targetNames.Count}"
                : $"Number of classes, {labels.Length}, does not match size of target_names, {targetNames.Count}. " +
                  "Try specifying the labels parameter";
            throw new ArgumentException(message, nameof(targetNames));
        }

        if (targetNames.Any(name => name is null))
        {
            throw new ArgumentException("target names must not be null.", nameof(targetNames));
        }

        return [.. targetNames];
    }

    // _prf_divide: numerator / denominator as float64, the zero-division value where the denominator is 0.
    private static double Divide(long numerator, long denominator, double zeroDivision) =>
        denominator == 0 ? zeroDivision : (double)numerator / denominator;

    // row_fmt = "{:>{width}s} " + " {:>9.{digits}f}" * 3 + " {:>9}\n"
    private void AppendRow(StringBuilder text, ClassificationReportRow row, int width, int digits) =>
        text.Append(PadLeft(row.Name, width)).Append(' ')
            .Append(' ').Append(PadLeft(PythonFloatFormat.Fixed(row.Precision, digits), 9))
            .Append(' ').Append(PadLeft(PythonFloatFormat.Fixed(row.Recall, digits), 9))
            .Append(' ').Append(PadLeft(PythonFloatFormat.Fixed(row.F1Score, digits), 9))
            .Append(' ').Append(PadLeft(SupportText(row.Support), 9))
            .Append('\n');

    private string SupportText(int support) =>
        support.ToString(CultureInfo.InvariantCulture) + (_supportPrintsAsFloat ? ".0" : "");

    // Python pads by code points (len), not UTF-16 units.
    private static int TextLength(string text) => text.EnumerateRunes().Count();

    private static string PadLeft(string text, int width) =>
        new string(' ', Math.Max(0, width - TextLength(text))) + text;

    private static void WriteNumber(Utf8JsonWriter json, string? name, double value)
    {
        if (name is not null)
        {
            json.WritePropertyName(name);
        }

        if (double.IsNaN(value))
        {
            json.WriteNullValue();
        }
        else
        {
            json.WriteRawValue(PythonFloatFormat.Repr(value));
        }
    }
}
