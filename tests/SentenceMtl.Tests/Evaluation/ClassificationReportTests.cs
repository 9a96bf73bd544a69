using System.Text.Json;

namespace SentenceMtl.Tests.Evaluation;

// Expected strings are scikit-learn's own: the classification_report docstring and the test_classification_report_*
// tests of sklearn/metrics/tests/test_classification.py. Cases marked "reference" were printed by a reference run of
// the scikit-learn 1.6 code path (sklearn 1.2.1's multilabel_confusion_matrix + the 1.6 bodies of
// precision_recall_fscore_support, _nanaverage and classification_report, on NumPy 1.24).
public class ClassificationReportTests
{
    /// <summary>
    /// The iris predictions scikit-learn's tests use (make_prediction: SVC on noisy iris), rebuilt from their
    /// confusion matrix, which the same tests pin: [[19, 4, 1], [4, 3, 24], [0, 2, 18]].
    /// </summary>
    private static (int[] YTrue, int[] YPred) IrisPredictions() =>
        FromConfusion(new[,] { { 19, 4, 1 }, { 4, 3, 24 }, { 0, 2, 18 } });

    private static (int[] YTrue, int[] YPred) FromConfusion(int[,] counts)
    {
        var yTrue = new List<int>();
        var yPred = new List<int>();
        for (int t = 0; t < counts.GetLength(0); t++)
        {
            for (int p = 0; p < counts.GetLength(1); p++)
            {
                for (int k = 0; k < counts[t, p]; k++)
                {
                    yTrue.Add(t);
                    yPred.Add(p);
                }
            }
        }

        return ([.. yTrue], [.. yPred]);
    }

    [Fact]
    public void Docstring_example_with_target_names()
    {
        var report = ClassificationReport.Create(
            [0, 1, 2, 2, 2], [0, 0, 2, 2, 1], targetNames: ["class 0", "class 1", "class 2"]);

        const string Expected =
            "              precision    recall  f1-score   support\n" +
            "\n" +
            "     class 0       0.50      1.00      0.67         1\n" +
            "     class 1       0.00      0.00      0.00         1\n" +
            "     class 2       1.00      0.67      0.80         3\n" +
            "\n" +
            "    accuracy                           0.60         5\n" +
            "   macro avg       0.50      0.56      0.49         5\n" +
            "weighted avg       0.70      0.60      0.61         5\n";
        Assert.Equal(Expected, report.ToText());
        Assert.Equal(0.6, report.Accuracy);
        Assert.Null(report.MicroAverage);
    }

    [Fact]
    public void Docstring_example_with_labels_absent_from_the_data_shows_micro_avg()
    {
        var report = ClassificationReport.Create([1, 1, 1], [1, 1, 0], labels: [1, 2, 3]);

        const string Expected =
            "              precision    recall  f1-score   support\n" +
            "\n" +
            "           1       1.00      0.67      0.80         3\n" +
            "           2       0.00      0.00      0.00         0\n" +
            "           3       0.00      0.00      0.00         0\n" +
            "\n" +
            "   micro avg       1.00      0.67      0.80         3\n" +
            "   macro avg       0.33      0.22      0.27         3\n" +
            "weighted avg       1.00      0.67      0.80         3\n";
        Assert.Equal(Expected, report.ToText());
        Assert.Null(report.Accuracy);
        Assert.NotNull(report.MicroAverage);
        Assert.Equal(new ClassificationReportRow("micro avg", 1.0, 2.0 / 3, 0.8, 3), report.MicroAverage);
    }

    [Fact]
    public void Multiclass_with_target_names()
    {
        var (yTrue, yPred) = IrisPredictions();
        var report = ClassificationReport.Create(yTrue, yPred, labels: [0, 1, 2], targetNames: ["setosa", "versicolor", "virginica"]);

        const string Expected =
            "              precision    recall  f1-score   support\n" +
            "\n" +
            "      setosa       0.83      0.79      0.81        24\n" +
            "  versicolor       0.33      0.10      0.15        31\n" +
            "   virginica       0.42      0.90      0.57        20\n" +
            "\n" +
            "    accuracy                           0.53        75\n" +
            "   macro avg       0.53      0.60      0.51        75\n" +
            "weighted avg       0.51      0.53      0.47        75\n";
        Assert.Equal(Expected, report.ToText());
    }

    [Fact]
    public void Multiclass_with_label_detection()
    {
        var (yTrue, yPred) = IrisPredictions();

        const string Expected =
            "              precision    recall  f1-score   support\n" +
            "\n" +
            "           0       0.83      0.79      0.81        24\n" +
            "           1       0.33      0.10      0.15        31\n" +
            "           2       0.42      0.90      0.57        20\n" +
            "\n" +
            "    accuracy                           0.53        75\n" +
            "   macro avg       0.53      0.60      0.51        75\n" +
            "weighted avg       0.51      0.53      0.47        75\n";
        Assert.Equal(Expected, ClassificationReport.Create(yTrue, yPred).ToText());
    }

    [Fact]
    public void Multiclass_with_five_digits()
    {
        var (yTrue, yPred) = IrisPredictions();
        var report = ClassificationReport.Create(yTrue, yPred, labels: [0, 1, 2], targetNames: ["setosa", "versicolor", "virginica"]);

        const string Expected =
            "              precision    recall  f1-score   support\n" +
            "\n" +
            "      setosa    0.82609   0.79167   0.80851        24\n" +
            "  versicolor    0.33333   0.09677   0.15000        31\n" +
            "   virginica    0.41860   0.90000   0.57143        20\n" +
            "\n" +
            "    accuracy                        0.53333        75\n" +
            "   macro avg    0.52601   0.59615   0.50998        75\n" +
            "weighted avg    0.51375   0.53333   0.47310        75\n";
        Assert.Equal(Expected, report.ToText(digits: 5));
    }

    [Fact]
    public void Multiclass_balanced()
    {
        const string Expected =
            "              precision    recall  f1-score   support\n" +
            "\n" +
            "           0       0.33      0.33      0.33         3\n" +
            "           1       0.33      0.33      0.33         3\n" +
            "           2       0.33      0.33      0.33         3\n" +
            "\n" +
            "    accuracy                           0.33         9\n" +
            "   macro avg       0.33      0.33      0.33         9\n" +
            "weighted avg       0.33      0.33      0.33         9\n";
        Assert.Equal(Expected, ClassificationReport.Create([0, 0, 0, 1, 1, 1, 2, 2, 2], [0, 1, 2, 0, 1, 2, 0, 1, 2]).ToText());
    }

    [Fact]
    public void Non_ascii_target_names_are_padded_by_characters()
    {
        var (yTrue, yPred) = IrisPredictions();
        var report = ClassificationReport.Create(yTrue, yPred, targetNames: ["blue\u00a2", "green\u00a2", "red\u00a2"]);

        const string Expected =
            "              precision    recall  f1-score   support\n" +
            "\n" +
            "       blue\u00a2       0.83      0.79      0.81        24\n" +
            "      green\u00a2       0.33      0.10      0.15        31\n" +
            "        red\u00a2       0.42      0.90      0.57        20\n" +
            "\n" +
            "    accuracy                           0.53        75\n" +
            "   macro avg       0.53      0.60      0.51        75\n" +
            "weighted avg       0.51      0.53      0.47        75\n";
        Assert.Equal(Expected, report.ToText());
    }

    [Fact]
    public void Target_names_outside_the_basic_plane_count_as_one_character()
    {
        var report = ClassificationReport.Create([0, 1], [0, 1], targetNames: ["\U0001F600", "b"]);

        Assert.StartsWith("           \U0001F600       1.00", report.ToText().Split('\n')[2], StringComparison.Ordinal);
    }

    [Fact]
    public void Long_target_names_widen_the_name_column()
    {
        var (yTrue, yPred) = IrisPredictions();
        var report = ClassificationReport.Create(yTrue, yPred, targetNames: ["blue", "greengreengreengreengreen", "red"]);

        const string Expected =
            "                           precision    recall  f1-score   support\n" +
            "\n" +
            "                     blue       0.83      0.79      0.81        24\n" +
            "greengreengreengreengreen       0.33      0.10      0.15        31\n" +
            "                      red       0.42      0.90      0.57        20\n" +
            "\n" +
            "                 accuracy                           0.53        75\n" +
            "                macro avg       0.53      0.60      0.51        75\n" +
            "             weighted avg       0.51      0.53      0.47        75\n";
        Assert.Equal(Expected, report.ToText());
    }

    [Fact]
    public void Explicit_label_order_orders_the_rows()
    {
        var (yTrue, yPred) = IrisPredictions();
        var report = ClassificationReport.Create(yTrue, yPred, labels: [0, 2, 1]);

        Assert.Equal(["0", "2", "1"], report.Rows.Select(r => r.Name));
        Assert.Equal([24, 20, 31], report.Rows.Select(r => r.Support));
        Assert.Equal([0.83, 0.42, 0.33], report.Rows.Select(r => Math.Round(r.Precision, 2)));
        Assert.Equal([0.79, 0.90, 0.10], report.Rows.Select(r => Math.Round(r.Recall, 2)));
        Assert.Equal([0, 2, 1], report.ConfusionMatrix.Labels);
        Assert.NotNull(report.Accuracy); // same label set, only reordered
    }

    [Fact]
    public void Values_match_scikit_learns_dictionary_output()
    {
        var (yTrue, yPred) = IrisPredictions();
        var report = ClassificationReport.Create(yTrue, yPred, labels: [0, 1, 2], targetNames: ["setosa", "versicolor", "virginica"]);

        // test_classification_report_dictionary_output (compared there to 7 decimals).
        AssertRow(report.Rows[0], "setosa", 0.82608695652173914, 0.79166666666666663, 0.8085106382978724, 24);
        AssertRow(report.Rows[1], "versicolor", 0.33333333333333331, 0.096774193548387094, 0.15000000000000002, 31);
        AssertRow(report.Rows[2], "virginica", 0.41860465116279072, 0.90000000000000002, 0.57142857142857151, 20);
        AssertRow(report.MacroAverage, "macro avg", 0.5260083136726211, 0.596146953405018, 0.5099797365754813, 75);
        AssertRow(report.WeightedAverage, "weighted avg", 0.5137535108414785, 0.5333333333333333, 0.47310435663627154, 75);
        Assert.Equal(0.5333333333333333, report.Accuracy);

        static void AssertRow(ClassificationReportRow row, string name, double p, double r, double f, int support)
        {
            Assert.Equal(name, row.Name);
            Assert.Equal(p, row.Precision, 12);
            Assert.Equal(r, row.Recall, 12);
            Assert.Equal(f, row.F1Score, 12);
            Assert.Equal(support, row.Support);
        }
    }

    [Fact]
    public void F1_is_computed_from_the_counts()
    {
        // scikit-learn >= 1.4: 2·tp / (2·tp + fp + fn) = 6 / 40, exactly 0.15 (1.3 printed 0.15000000000000002).
        var (yTrue, yPred) = IrisPredictions();
        Assert.Equal(0.15, ClassificationReport.Create(yTrue, yPred).Rows[1].F1Score);
    }

    [Theory]
    [InlineData(new[] { 0 }, true)]
    [InlineData(new[] { 0, 1 }, false)]
    [InlineData(new[] { 0, 1, 2 }, false)]
    public void Micro_avg_replaces_accuracy_only_when_labels_leave_out_a_present_label(int[] labels, bool showMicroAverage)
    {
        // test_classification_report_labels_subset_superset (scikit-learn issue 27927).
        var report = ClassificationReport.Create([0, 1], [0, 1], labels: labels);

        Assert.Equal(showMicroAverage, report.MicroAverage is not null);
        Assert.Equal(showMicroAverage, report.Accuracy is null);
        Assert.Contains(showMicroAverage ? "   micro avg " : "    accuracy ", report.ToText(), StringComparison.Ordinal);
        using var json = JsonDocument.Parse(report.ToJson());
        Assert.Equal(showMicroAverage, json.RootElement.TryGetProperty("micro avg", out _));
        Assert.Equal(!showMicroAverage, json.RootElement.TryGetProperty("accuracy", out _));
    }

    [Fact]
    public void Target_names_of_the_wrong_length_without_labels_throw_scikit_learns_message()
    {
        var error = Assert.Throws<ArgumentException>(() => ClassificationReport.Create(
            [0, 0, 2, 0, 0], [0, 2, 2, 0, 0], targetNames: ["class 0", "class 1", "class 2"]));

        Assert.Equal("targetNames", error.ParamName);
        Assert.StartsWith(
            "Number of classes, 2, does not match size of target_names, 3. Try specifying the labels parameter",
            error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Target_names_of_the_wrong_length_with_labels_throw_scikit_learns_warning_text()
    {
        var error = Assert.Throws<ArgumentException>(() => ClassificationReport.Create(
            [0, 0, 2, 0, 0], [0, 2, 2, 0, 0], labels: [0, 2], targetNames: ["class 0", "class 1", "class 2"]));

        Assert.StartsWith("labels size, 2, does not match size of target_names, 3", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<double, string> ZeroDivisionCases => new()
    {
        // reference: y_true = [0, 1, 2], y_pred = [0, 1, 3] (test_classification_report_zero_division_warning's data)
        {
            0,
            "              precision    recall  f1-score   support\n\n" +
            "           0       1.00      1.00      1.00         1\n" +
            "           1       1.00      1.00      1.00         1\n" +
            "           2       0.00      0.00      0.00         1\n" +
            "           3       0.00      0.00      0.00         0\n\n" +
            "    accuracy                           0.67         3\n" +
            "   macro avg       0.50      0.50      0.50         3\n" +
            "weighted avg       0.67      0.67      0.67         3\n"
        },
        {
            1,
            "              precision    recall  f1-score   support\n\n" +
            "           0       1.00      1.00      1.00         1\n" +
            "           1       1.00      1.00      1.00         1\n" +
            "           2       1.00      0.00      0.00         1\n" +
            "           3       0.00      1.00      0.00         0\n\n" +
            "    accuracy                           0.67         3\n" +
            "   macro avg       0.75      0.75      0.50         3\n" +
            "weighted avg       1.00      0.67      0.67         3\n"
        },
        {
            double.NaN,
            "              precision    recall  f1-score   support\n\n" +
            "           0       1.00      1.00      1.00         1\n" +
            "           1       1.00      1.00      1.00         1\n" +
            "           2        nan      0.00      0.00         1\n" +
            "           3       0.00       nan      0.00         0\n\n" +
            "    accuracy                           0.67         3\n" +
            "   macro avg       0.67      0.67      0.50         3\n" +
            "weighted avg       1.00      0.67      0.67         3\n"
        },
    };

    [Theory]
    [MemberData(nameof(ZeroDivisionCases))]
    public void Zero_division_value_fills_undefined_metrics(double zeroDivision, string expected)
    {
        var report = ClassificationReport.Create([0, 1, 2], [0, 1, 3], zeroDivision: zeroDivision);

        Assert.Equal(expected, report.ToText());
    }

    [Fact]
    public void Nan_zero_division_leaves_undefined_rows_out_of_the_averages()
    {
        var report = ClassificationReport.Create([1, 1, 1], [1, 1, 0], labels: [1, 2, 3], zeroDivision: double.NaN);

        // reference
        const string Expected =
            "              precision    recall  f1-score   support\n\n" +
            "           1       1.00      0.67      0.80         3\n" +
            "           2        nan       nan       nan         0\n" +
            "           3        nan       nan       nan         0\n\n" +
            "   micro avg       1.00      0.67      0.80         3\n" +
            "   macro avg       1.00      0.67      0.80         3\n" +
            "weighted avg       1.00      0.67      0.80         3\n";
        Assert.Equal(Expected, report.ToText());
        Assert.True(double.IsNaN(report.Rows[1].F1Score));
    }

    [Fact]
    public void Weighted_average_falls_back_to_the_plain_mean_when_every_support_is_zero()
    {
        // reference: numpy.average raises ZeroDivisionError, _nanaverage then takes the unweighted mean.
        var report = ClassificationReport.Create([1, 1], [2, 2], labels: [2], zeroDivision: 1);

        const string Expected =
            "              precision    recall  f1-score   support\n\n" +
            "           2       0.00      1.00      0.00       0.0\n\n" +
            "   micro avg       0.00      1.00      0.00       0.0\n" +
            "   macro avg       0.00      1.00      0.00       0.0\n" +
            "weighted avg       0.00      1.00      0.00       0.0\n";
        Assert.Equal(Expected, report.ToText());
        Assert.Equal(new ClassificationReportRow("weighted avg", 0, 1, 0, 0), report.WeightedAverage);
    }

    [Fact]
    public void Support_prints_as_a_float_when_no_sample_is_predicted_correctly()
    {
        // scikit-learn quirk (printed by sklearn 1.2.1 itself; the code path is unchanged in 1.6): with no true
        // positive at all, multilabel_confusion_matrix starts from float zeros and the supports print as "1.0".
        var report = ClassificationReport.Create([0, 1], [1, 0]);

        const string Expected =
            "              precision    recall  f1-score   support\n\n" +
            "           0       0.00      0.00      0.00       1.0\n" +
            "           1       0.00      0.00      0.00       1.0\n\n" +
            "    accuracy                           0.00       2.0\n" +
            "   macro avg       0.00      0.00      0.00       2.0\n" +
            "weighted avg       0.00      0.00      0.00       2.0\n";
        Assert.Equal(Expected, report.ToText());
        Assert.Equal(1, report.Rows[0].Support);
        Assert.Equal(0.0, report.Accuracy);
    }

    [Fact]
    public void Averages_sum_in_numpys_pairwise_order()
    {
        // 150 labels, 17 digits: a left-to-right sum would change the last digits of the macro recall and F1.
        int[] yTrue = Enumerable.Range(0, 3000).Select(i => ((i * 7919) + (i * i)) % 150).ToArray();
        int[] yPred = Enumerable.Range(0, 3000).Select(i => (i * 31) % 7 < 4 ? yTrue[i] : ((i * 104729) + 13) % 150).ToArray();
        string text = ClassificationReport.Create(yTrue, yPred).ToText(digits: 17);

        // reference
        Assert.Contains(
            "                0  0.91919191919191923 0.56874999999999998 0.70270270270270274       160\n",
            text, StringComparison.Ordinal);
        Assert.EndsWith(
            "\n\n         accuracy                      0.57166666666666666      3000\n" +
            "        macro avg  0.12959586782952218 0.08389166666666666 0.10179160690287270      3000\n" +
            "     weighted avg  0.90281310146272764 0.57166666666666666 0.69965844478003769      3000\n",
            text, StringComparison.Ordinal);
    }

    [Fact]
    public void Digits_zero_and_digits_wider_than_the_names()
    {
        var report = ClassificationReport.Create([0, 1, 2, 2, 2], [0, 0, 2, 2, 1]);

        // reference (Python rounds 0.5 and 0.6 half to even at 0 digits: "0" and "1")
        Assert.Equal(
            "              precision    recall  f1-score   support\n\n" +
            "           0          0         1         1         1\n" +
            "           1          0         0         0         1\n" +
            "           2          1         1         1         3\n\n" +
            "    accuracy                              1         5\n" +
            "   macro avg          0         1         0         5\n" +
            "weighted avg          1         1         1         5\n",
            report.ToText(digits: 0));
        string wide = report.ToText(digits: 14);
        Assert.StartsWith(new string(' ', 14) + "  precision", wide, StringComparison.Ordinal);
        Assert.Contains("             0  0.50000000000000 1.00000000000000 0.66666666666667         1\n", wide, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_has_scikit_learns_output_dict_shape()
    {
        var report = ClassificationReport.Create([0, 1, 2, 2, 2], [0, 0, 2, 2, 1], targetNames: ["class 0", "class 1", "class 2"]);

        using var json = JsonDocument.Parse(report.ToJson());
        var root = json.RootElement;
        Assert.Equal(
            ["class 0", "class 1", "class 2", "accuracy", "macro avg", "weighted avg"],
            root.EnumerateObject().Select(p => p.Name));
        var class0 = root.GetProperty("class 0");
        Assert.Equal(["precision", "recall", "f1-score", "support"], class0.EnumerateObject().Select(p => p.Name));
        Assert.Equal("0.5", class0.GetProperty("precision").GetRawText());
        Assert.Equal("1.0", class0.GetProperty("recall").GetRawText());
        Assert.Equal("0.6666666666666666", class0.GetProperty("f1-score").GetRawText());
        Assert.Equal("1", class0.GetProperty("support").GetRawText());
        Assert.Equal(JsonValueKind.Number, root.GetProperty("accuracy").ValueKind);
        Assert.Equal(0.6, root.GetProperty("accuracy").GetDouble());
        Assert.Equal(5, root.GetProperty("weighted avg").GetProperty("support").GetInt32());
        Assert.Equal(0.7, root.GetProperty("weighted avg").GetProperty("precision").GetDouble());
    }

    [Fact]
    public void Json_writes_micro_avg_and_nan_as_null()
    {
        var report = ClassificationReport.Create([1, 1, 1], [1, 1, 0], labels: [1, 2, 3], zeroDivision: double.NaN);

        using var json = JsonDocument.Parse(report.ToJson());
        var root = json.RootElement;
        Assert.Equal(["1", "2", "3", "micro avg", "macro avg", "weighted avg"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(JsonValueKind.Null, root.GetProperty("2").GetProperty("precision").ValueKind);
        Assert.Equal(0, root.GetProperty("2").GetProperty("support").GetInt32());
        Assert.Equal(0.8, root.GetProperty("micro avg").GetProperty("f1-score").GetDouble());
    }

    [Fact]
    public void Json_repeated_names_keep_the_first_position_and_the_last_values()
    {
        var report = ClassificationReport.Create([0, 1, 1], [0, 1, 0], targetNames: ["same", "same"]);

        using var json = JsonDocument.Parse(report.ToJson());
        Assert.Equal(["same", "accuracy", "macro avg", "weighted avg"], json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(2, json.RootElement.GetProperty("same").GetProperty("support").GetInt32());
    }

    [Fact]
    public void Report_exposes_its_confusion_matrix_over_its_labels()
    {
        var report = ClassificationReport.Create([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2], labels: [3, 2]);

        Assert.Equal([3, 2], report.ConfusionMatrix.Labels);
        Assert.Equal(new[,] { { 0, 0 }, { 0, 2 } }, report.ConfusionMatrix.ToArray());
    }

    [Fact]
    public void Invalid_arguments_are_rejected()
    {
        Assert.Throws<ArgumentNullException>(() => ClassificationReport.Create(null!, [0]));
        Assert.Throws<ArgumentNullException>(() => ClassificationReport.Create([0], null!));
        var lengths = Assert.Throws<ArgumentException>(() => ClassificationReport.Create([0, 1, 2], [0, 1]));
        Assert.Contains("[3, 2]", lengths.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ClassificationReport.Create([], []));
        Assert.Throws<ArgumentException>(() => ClassificationReport.Create([0, 1], [0, 1], labels: []));
        Assert.Throws<ArgumentException>(() => ClassificationReport.Create([0, 1], [0, 1], labels: [0, 1, 0]));
        Assert.Throws<ArgumentException>(() => ClassificationReport.Create([0, 1], [0, 1], targetNames: ["a", null!]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassificationReport.Create([0, 1], [0, 1], zeroDivision: 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassificationReport.Create([0, 1], [0, 1]).ToText(digits: -1));
    }
}
