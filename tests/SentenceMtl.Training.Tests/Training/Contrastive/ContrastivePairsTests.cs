using SentenceMtl.Training.Contrastive;

namespace SentenceMtl.Tests.Training.Contrastive;

public sealed class ContrastivePairsTests
{
    // Three labels of three or four examples (and two unlabelled examples); a second task with two labels.
    private static readonly int[] Topic = [0, 0, 0, 1, 1, 1, 2, 2, 2, -1, 0, -1];
    private static readonly int[] Sentiment = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, -1, -1];

    private static int Positives(IEnumerable<ContrastivePair> pairs) => pairs.Count(p => p.Label == 1f);

    private static int Negatives(IEnumerable<ContrastivePair> pairs) => pairs.Count(p => p.Label == 0f);

    [Fact]
    public void Every_labelled_example_anchors_one_positive_and_one_negative_per_iteration_and_task()
    {
        var pairs = ContrastivePairs.Generate([Topic, Sentiment], iterations: 5, seed: 1);
        int labelled = Topic.Count(c => c >= 0) + Sentiment.Count(c => c >= 0);                // 10 + 10
        Assert.Equal(labelled * 5 * 2, pairs.Count);
        Assert.Equal(Positives(pairs), Negatives(pairs));
        Assert.All(pairs, p => Assert.NotEqual(p.First, p.Second));
    }

    [Fact]
    public void A_pair_is_positive_exactly_when_its_sentences_share_the_label()
    {
        foreach (var task in new[] { Topic, Sentiment })
        {
            var pairs = ContrastivePairs.Generate([task], iterations: 4, seed: 3);
            Assert.All(pairs, p => Assert.Equal(task[p.First] == task[p.Second] ? 1f : 0f, p.Label));
        }

        // Several tasks: each pair is right for some task in which both sentences are labelled.
        var mixed = ContrastivePairs.Generate([Topic, Sentiment], iterations: 4, seed: 3);
        Assert.All(mixed, p => Assert.Contains(new[] { Topic, Sentiment },
            t => t[p.First] >= 0 && t[p.Second] >= 0 && (t[p.First] == t[p.Second]) == (p.Label == 1f)));
    }

    [Fact]
    public void The_same_seed_gives_the_same_pairs_and_another_seed_others()
    {
        var first = ContrastivePairs.Generate([Topic, Sentiment], 3, seed: 42);
        var again = ContrastivePairs.Generate([Topic, Sentiment], 3, seed: 42);
        var other = ContrastivePairs.Generate([Topic, Sentiment], 3, seed: 43);
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.Equal(first.Count, other.Count);
    }

    [Fact]
    public void Every_label_of_every_task_appears_in_positive_and_negative_pairs()
    {
        foreach (var task in new[] { Topic, Sentiment })
        {
            var pairs = ContrastivePairs.Generate([task], iterations: 2, seed: 5);
            foreach (int label in task.Where(c => c >= 0).Distinct())
            {
                Assert.Contains(pairs, p => p.Label == 1f && task[p.First] == label);
                Assert.Contains(pairs, p => p.Label == 0f && (task[p.First] == label || task[p.Second] == label));
            }
        }
    }

    [Fact]
    public void Unlabelled_examples_are_never_paired_for_their_task()
    {
        var pairs = ContrastivePairs.Generate([Topic], iterations: 10, seed: 9);
        Assert.DoesNotContain(pairs, p => Topic[p.First] < 0 || Topic[p.Second] < 0);
        var both = ContrastivePairs.Generate([Topic, Sentiment], iterations: 10, seed: 9);
        Assert.DoesNotContain(both, p => p.First == 11 || p.Second == 11);                      // unlabelled in both tasks
        Assert.Contains(both, p => p.First == 9 || p.Second == 9);                              // labelled for sentiment only
    }

    [Fact]
    public void A_label_with_one_example_gets_no_positive_and_the_positives_are_oversampled_to_balance()
    {
        int[] task = [0, 0, 0, 1];
        var pairs = ContrastivePairs.Generate([task], iterations: 6, seed: 2);
        Assert.DoesNotContain(pairs, p => p.Label == 1f && (p.First == 3 || p.Second == 3));
        Assert.Contains(pairs, p => p.Label == 0f && (p.First == 3 || p.Second == 3));
        Assert.Equal(4 * 6, Positives(pairs));
        Assert.Equal(4 * 6, Negatives(pairs));
    }

    [Fact]
    public void A_task_with_one_label_gives_no_negatives_and_one_with_only_single_examples_no_positives()
    {
        var same = ContrastivePairs.Generate([[1, 1, 1]], iterations: 2, seed: 0);
        Assert.Equal(3 * 2, Positives(same));
        Assert.Equal(0, Negatives(same));
        var distinct = ContrastivePairs.Generate([[0, 1, 2]], iterations: 2, seed: 0);
        Assert.Equal(0, Positives(distinct));
        Assert.Equal(3 * 2, Negatives(distinct));
        Assert.Empty(ContrastivePairs.Generate([[-1, 0, -1]], iterations: 2, seed: 0));
    }

    [Fact]
    public void The_tasks_pairs_are_shuffled_together()
    {
        // Task 0 labels examples 0-5 only, task 1 examples 6-11 only: a pair's sentences tell its task.
        int[] first = [0, 0, 0, 1, 1, 1, -1, -1, -1, -1, -1, -1];
        int[] second = [-1, -1, -1, -1, -1, -1, 0, 0, 0, 1, 1, 1];
        var pairs = ContrastivePairs.Generate([first, second], iterations: 5, seed: 11);
        var half = pairs.Take(pairs.Count / 2).ToArray();
        Assert.Contains(half, p => p.First < 6);
        Assert.Contains(half, p => p.First >= 6);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(25)]
    [InlineData(31)]
    public void MaxPairs_keeps_a_balanced_subset_with_every_label_of_every_task(int maxPairs)
    {
        var all = ContrastivePairs.Generate([Topic, Sentiment], iterations: 20, seed: 4);
        var capped = ContrastivePairs.Generate([Topic, Sentiment], iterations: 20, seed: 4, maxPairs);
        Assert.Equal(maxPairs, capped.Count);
        Assert.True(Math.Abs(Positives(capped) - Negatives(capped)) <= 1, $"{Positives(capped)} positives, {Negatives(capped)} negatives");
        Assert.All(capped, p => Assert.Contains(p, all));
        Assert.Equal(capped, ContrastivePairs.Generate([Topic, Sentiment], iterations: 20, seed: 4, maxPairs));
        foreach (var task in new[] { Topic, Sentiment })
        {
            // (Topic, Sentiment) has 5 (task, label) groups: 10 pairs already hold a couple of each.
            foreach (int label in task.Where(c => c >= 0).Distinct())
            {
                Assert.Contains(capped, p => task[p.First] == label && task[p.Second] >= 0);
            }
        }

        Assert.Equal(all.Count, ContrastivePairs.Generate([Topic, Sentiment], iterations: 20, seed: 4, maxPairs: all.Count + 7).Count);
    }

    [Fact]
    public void The_options_overload_uses_Iterations_and_MaxPairs()
    {
        var options = new ContrastiveOptions { Iterations = 3, MaxPairs = 17 };
        Assert.Equal(ContrastivePairs.Generate([Topic, Sentiment], 3, 8, 17), ContrastivePairs.Generate([Topic, Sentiment], options, 8));
        Assert.Throws<ArgumentOutOfRangeException>("MaxPairs", () => ContrastivePairs.Generate([Topic], options with { MaxPairs = -2 }, 8));
    }

    [Fact]
    public void Bad_arguments_say_what_is_wrong()
    {
        Assert.Throws<ArgumentOutOfRangeException>("iterations", () => ContrastivePairs.Generate([Topic], 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>("maxPairs", () => ContrastivePairs.Generate([Topic], 1, 1, -1));
        var shapes = Assert.Throws<ArgumentException>("labels", () => ContrastivePairs.Generate([Topic, [0, 1]], 1, 1));
        Assert.Contains("task 0 has 12", shapes.Message, StringComparison.Ordinal);
        var big = Assert.Throws<ArgumentException>("iterations", () => ContrastivePairs.Generate([new int[3_000], new int[3_000]], 10_000, 1));
        Assert.Contains("lower ContrastiveOptions.Iterations", big.Message, StringComparison.Ordinal);
    }
}
