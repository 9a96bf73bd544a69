using System.Globalization;
using System.Text;

namespace SentenceMtl;

/// <summary>The architecture of a <see cref="MultiTaskModel"/>: its tasks and their heads.</summary>
public sealed record MultiTaskModelOptions
{
    /// <summary>
    /// The tasks, each with its own head. Default empty: a model never gets tasks it was not given, so
    /// <c>MultiTaskModel.Create</c> refuses empty tasks unless it takes them from a dataset
    /// (<see cref="MultiTaskModel.Create(string, MultiTaskDataset, MultiTaskModelOptions?, SentenceEncoderOptions?)"/>).
    /// For fixed label sets, list <see cref="TaskDefinition"/>s here (the demo's are <see cref="TaskDefinition.Topic"/>
    /// and <see cref="TaskDefinition.Sentiment"/>).
    /// </summary>
    public IReadOnlyList<TaskDefinition> Tasks { get; init; } = [];

    /// <summary>Hidden layer widths of every head (default one layer of 256; empty = linear heads).</summary>
    public IReadOnlyList<int> HeadHiddenSizes { get; init; } = [256];

    /// <summary>Per-task overrides of <see cref="HeadHiddenSizes"/>, keyed by task name.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<int>>? TaskHeadHiddenSizes { get; init; }

    /// <summary>Activation after each hidden layer (default GELU).</summary>
    public HeadActivation Activation { get; init; } = HeadActivation.Gelu;

    /// <summary>Dropout after each activation, in [0, 1) (default 0.1).</summary>
    public double Dropout { get; init; } = 0.1;

    /// <summary>Seed of the heads' initial weights (default 42).</summary>
    public long Seed { get; init; } = 42;

    /// <summary>The hidden sizes of <paramref name="task"/>'s head.</summary>
    public IReadOnlyList<int> HiddenSizesFor(string task) =>
        TaskHeadHiddenSizes is not null && TaskHeadHiddenSizes.TryGetValue(task, out var sizes) ? sizes : HeadHiddenSizes;

    // Tasks = [topic (5 labels), …], HeadHiddenSizes = [256] rather than the collections' type names.
    private bool PrintMembers(StringBuilder builder) => ResultText.Members(builder,
        ("Tasks", ResultText.List(Tasks, t => $"{t.Name} ({t.Labels.Count} labels)")),
        ("HeadHiddenSizes", ResultText.List(HeadHiddenSizes, h => h.ToString(CultureInfo.InvariantCulture))),
        ("TaskHeadHiddenSizes", TaskHeadHiddenSizes is null ? "null" : ResultText.List(TaskHeadHiddenSizes,
            kv => $"{kv.Key}: {ResultText.List(kv.Value, h => h.ToString(CultureInfo.InvariantCulture))}")),
        ("Activation", Activation.ToString()),
        ("Dropout", ResultText.Number(Dropout)),
        ("Seed", Seed.ToString(CultureInfo.InvariantCulture)));

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Tasks, nameof(Tasks));
        ArgumentNullException.ThrowIfNull(HeadHiddenSizes, nameof(HeadHiddenSizes));
        if (Tasks.Count == 0)
        {
            throw new ArgumentException(
                "The model has no tasks. Take tasks and labels from your data with MultiTaskModel.Create(model, MultiTaskDataset.Load(path)), " +
                "or list them in MultiTaskModelOptions.Tasks, e.g. Tasks = [new TaskDefinition(\"intent\", [\"question\", \"complaint\"])].",
                nameof(Tasks));
        }

        if (Tasks.Any(t => t is null))
        {
            throw new ArgumentException("A task is null.", nameof(Tasks));
        }

        var duplicate = Tasks.GroupBy(t => t.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"Task name '{duplicate.Key}' is used twice.", nameof(Tasks));
        }

        if (TaskHeadHiddenSizes?.Keys.FirstOrDefault(k => Tasks.All(t => t.Name != k)) is { } unknown)
        {
            throw new ArgumentException(
                $"TaskHeadHiddenSizes names unknown task '{ErrorText.Shorten(unknown)}' (tasks: {ErrorText.List(Tasks.Select(t => t.Name))}).", nameof(TaskHeadHiddenSizes));
        }

        foreach (var task in Tasks)
        {
            if (HiddenSizesFor(task.Name).Any(h => h <= 0))
            {
                throw new ArgumentOutOfRangeException(nameof(HeadHiddenSizes), $"Head sizes of '{task.Name}' must be positive.");
            }
        }

        if (Dropout is < 0 or >= 1 || double.IsNaN(Dropout))
        {
            throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "Dropout must be in [0, 1).");
        }
    }
}
