namespace SentenceMtl.Tests.Evaluation;

// Expected matrices are scikit-learn's: the confusion_matrix docstring and the test_confusion_matrix_* tests of
// sklearn/metrics/tests/test_classification.py.
public class ConfusionMatrixTests
{
    // The iris predictions of scikit-learn's tests, as (true, predicted) counts over labels 0, 1, 2.
    private static readonly int[,] IrisCounts = { { 19, 4, 1 }, { 4, 3, 24 }, { 0, 2, 18 } };

    private static (int[] YTrue, int[] YPred) FromConfusion(int[,] counts)
    {
        var yTrue = new List<int>();
        var yPred = new List<int>();
        for (int t = 0; t < counts.GetLength(0); t++)
        {
            for (int p = 0; p < counts.GetLength(1); p++)
            {
                yTrue.AddRange(Enumerable.Repeat(t, counts[t, p]));
                yPred.AddRange(Enumerable.Repeat(p, counts[t, p]));
            }
        }

        return ([.. yTrue], [.. yPred]);
    }

    [Fact]
    public void Docstring_example()
    {
        var matrix = ConfusionMatrix.Create([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2]);

        Assert.Equal([0, 1, 2], matrix.Labels);
        Assert.Equal(new[,] { { 2, 0, 0 }, { 0, 0, 1 }, { 1, 0, 2 } }, matrix.ToArray());
    }

    [Fact]
    public void Docstring_example_with_explicit_labels()
    {
        // ["cat", "ant", "cat", "cat", "ant", "bird"] vs ["ant", "ant", "cat", "cat", "ant", "cat"], labels ant, bird, cat
        const int Ant = 10, Bird = 20, Cat = 30;
        var matrix = ConfusionMatrix.Create([Cat, Ant, Cat, Cat, Ant, Bird], [Ant, Ant, Cat, Cat, Ant, Cat], labels: [Ant, Bird, Cat]);

        Assert.Equal(new[,] { { 2, 0, 0 }, { 0, 0, 1 }, { 1, 0, 2 } }, matrix.ToArray());
    }

    [Fact]
    public void Binary_counts_read_as_tn_fp_fn_tp()
    {
        var matrix = ConfusionMatrix.Create([0, 1, 0, 1], [1, 1, 1, 0]);

        Assert.Equal((0, 2, 1, 1), (matrix[0, 0], matrix[0, 1], matrix[1, 0], matrix[1, 1]));
    }

    [Fact]
    public void Iris_multiclass_subsets_and_orderings()
    {
        // test_confusion_matrix_multiclass_subset_labels
        var (yTrue, yPred) = FromConfusion(IrisCounts);

        Assert.Equal(IrisCounts, ConfusionMatrix.Create(yTrue, yPred).ToArray());
        Assert.Equal(new[,] { { 19, 4 }, { 4, 3 } }, ConfusionMatrix.Create(yTrue, yPred, labels: [0, 1]).ToArray());
        Assert.Equal(new[,] { { 18, 2 }, { 24, 3 } }, ConfusionMatrix.Create(yTrue, yPred, labels: [2, 1]).ToArray());
        Assert.Equal(new[,] { { 18, 0 }, { 0, 0 } }, ConfusionMatrix.Create(yTrue, yPred, labels: [2, 3]).ToArray());
    }

    [Fact]
    public void Binary_iris()
    {
        // test_confusion_matrix_binary
        var (yTrue, yPred) = FromConfusion(new[,] { { 22, 3 }, { 8, 17 } });

        Assert.Equal(new[,] { { 22, 3 }, { 8, 17 } }, ConfusionMatrix.Create(yTrue, yPred).ToArray());
    }

    [Fact]
    public void Single_label_gives_a_one_by_one_matrix()
    {
        var matrix = ConfusionMatrix.Create([0, 0, 0, 0], [0, 0, 0, 0]);

        Assert.Equal([0], matrix.Labels);
        Assert.Equal(4, matrix[0, 0]);
    }

    [Fact]
    public void Labels_must_not_be_empty()
    {
        var error = Assert.Throws<ArgumentException>(() => ConfusionMatrix.Create([0, 1], [0, 1], labels: []));

        Assert.StartsWith("'labels' should contain at least one label.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void At_least_one_label_must_be_in_y_true()
    {
        var (yTrue, yPred) = FromConfusion(IrisCounts);

        var error = Assert.Throws<ArgumentException>(() => ConfusionMatrix.Create(yTrue, yPred, labels: [3, 4]));

        Assert.StartsWith("At least one label specified must be in y_true", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_inputs_are_rejected()
    {
        Assert.Throws<ArgumentNullException>(() => ConfusionMatrix.Create(null!, [0]));
        Assert.Throws<ArgumentNullException>(() => ConfusionMatrix.Create([0], null!));
        var lengths = Assert.Throws<ArgumentException>(() => ConfusionMatrix.Create([0, 1], [0]));
        Assert.Contains("[2, 1]", lengths.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ConfusionMatrix.Create([], []));
        Assert.Throws<ArgumentException>(() => ConfusionMatrix.Create([0, 1], [0, 1], labels: [1, 1]));
    }

    [Fact]
    public void Indexer_checks_bounds()
    {
        var matrix = ConfusionMatrix.Create([0, 1], [0, 1]);

        Assert.Throws<ArgumentOutOfRangeException>(() => matrix[2, 0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => matrix[0, -1]);
    }

    [Fact]
    public void ToArray_returns_a_copy()
    {
        var matrix = ConfusionMatrix.Create([0, 1], [0, 1]);

        matrix.ToArray()[0, 0] = 99;

        Assert.Equal(1, matrix[0, 0]);
    }

    [Fact]
    public void ToText_lays_out_a_right_aligned_table()
    {
        var matrix = ConfusionMatrix.Create([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2]);

        Assert.Equal(
            "       ant  bird   cat\n" +
            " ant     2     0     0\n" +
            "bird     0     0     1\n" +
            " cat     1     0     2\n",
            matrix.ToText(["ant", "bird", "cat"]));
        Assert.Equal(
            "   0  1  2\n" +
            "0  2  0  0\n" +
            "1  0  0  1\n" +
            "2  1  0  2\n",
            matrix.ToText());
        Assert.Throws<ArgumentException>(() => matrix.ToText(["ant", "bird"]));
    }
}
