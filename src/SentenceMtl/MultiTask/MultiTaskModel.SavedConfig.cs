using System.Text.Json;
using SentenceMtl.Checkpoints;
using SentenceMtl.Serialization;
using System.Text.Json.Serialization;

namespace SentenceMtl;

// multitask_config.json: its records, and reading them back with every value checked. A damaged or hand-edited file is
// a ModelFormatException naming the file and the key, never an ArgumentException from the options it becomes.
public sealed partial class MultiTaskModel
{
    private const int MinSequenceLength = 2;                                                    // [CLS] and [SEP]

    /// <summary>Most hidden layers a saved head may have, and the widest one (both far above any useful head).</summary>
    private const int MaxHeadLayers = 64, MaxHeadWidth = 65_536;

    private static SavedConfig ReadConfig(string path)
    {
        if (!File.Exists(path))
        {
            throw new ModelFormatException(path, "file not found (is this a folder saved by MultiTaskModel.Save?).");
        }

        SavedConfig? config;
        try
        {
            config = JsonSerializer.Deserialize(BoundedFile.ReadAllText(path, BoundedFile.MaxJsonBytes), CoreJson.Default.SavedConfig);
        }
        catch (JsonException ex)
        {
            string key = ex.Path is { Length: > 2 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : "";
            string what = key.Length > 0 ? $"'{ErrorText.Shorten(key)}' is not valid" : "invalid JSON";
            throw new ModelFormatException(path, $"{what} ({Cut(ex.Message)}).", ex);
        }

        if (config is null)
        {
            throw new ModelFormatException(path, "expected a JSON object.");
        }

        config.Check(path);
        return config;
    }

    /// <summary>The encoder of a saved model, with its saved pooling, normalization and length unless overridden.</summary>
    private static SentenceEncoder LoadEncoder(string folder, string configPath, SavedConfig saved, SentenceEncoderOptions? encoderOptions)
    {
        try
        {
            return SentenceEncoder.FromPretrained(folder, (encoderOptions ?? new SentenceEncoderOptions()) with
            {
                Pooling = encoderOptions?.Pooling ?? saved.Pooling,
                Normalize = encoderOptions?.Normalize ?? saved.Normalize,
                MaxSequenceLength = encoderOptions?.MaxSequenceLength ?? saved.MaxSequenceLength,
            });
        }
        catch (ArgumentOutOfRangeException ex) when (encoderOptions?.MaxSequenceLength is null && ex.ParamName == "options")
        {
            // The only range the saved values can break once checked: the backbone's max_position_embeddings.
            throw new ModelFormatException(configPath, $"'max_seq_length' ({saved.MaxSequenceLength}) is too long for the model: {ex.Message}", ex);
        }
    }

    private static string Cut(string message) => message.Length <= 300 ? message : message[..300] + "…";

    internal sealed record SavedTask
    {
        [JsonPropertyName("name")] public string Name { get; init; } = "";
        [JsonPropertyName("labels")] public List<string> Labels { get; init; } = [];
        [JsonPropertyName("hidden_sizes")] public List<int> HiddenSizes { get; init; } = [];
    }

    internal sealed record SavedConfig
    {
        [JsonPropertyName("format_version")] public int FormatVersion { get; init; }
        [JsonPropertyName("tasks")] public List<SavedTask> Tasks { get; init; } = [];
        [JsonPropertyName("activation")] public HeadActivation Activation { get; init; }
        [JsonPropertyName("dropout")] public double Dropout { get; init; }
        /// <summary>Whether the backbone was frozen at save time; written for readers of format 1, not applied on load
        /// (a loaded model is frozen for inference; training chooses freezing by its strategy).</summary>
        [JsonPropertyName("freeze_backbone")] public bool FreezeBackbone { get; init; }
        [JsonPropertyName("pooling")] public PoolingStrategy Pooling { get; init; }
        [JsonPropertyName("normalize")] public bool Normalize { get; init; }
        [JsonPropertyName("max_seq_length")] public int MaxSequenceLength { get; init; }

        /// <summary>Checks every value; <paramref name="path"/> and the key name the problem.</summary>
        public void Check(string path)
        {
            void Require(bool condition, string key, string problem)
            {
                if (!condition)
                {
                    throw new ModelFormatException(path, $"'{key}' {problem}.");
                }
            }

            Require(FormatVersion == 1, "format_version", $"is {FormatVersion}; this version of SentenceMtl reads 1");
            Require(Tasks is { Count: > 0 }, "tasks", "must be a non-empty list of {name, labels, hidden_sizes}");
            for (int i = 0; i < Tasks!.Count; i++)
            {
                var task = Tasks[i];
                Require(task is not null, $"tasks[{i}]", "must be an object {name, labels, hidden_sizes}");
                Require(!string.IsNullOrWhiteSpace(task!.Name), $"tasks[{i}].name", "must be a non-empty string");
                Require(task.Labels is not null, $"tasks[{i}].labels", "must be a list of label names");
                Require(task.HiddenSizes is not null && task.HiddenSizes.All(h => h > 0), $"tasks[{i}].hidden_sizes", "must be a list of positive sizes");
                Require(task.HiddenSizes!.Count <= MaxHeadLayers && task.HiddenSizes.All(h => h <= MaxHeadWidth),
                    $"tasks[{i}].hidden_sizes", $"must hold at most {MaxHeadLayers} widths, each between 1 and {MaxHeadWidth} " +
                    $"(got {task.HiddenSizes.Count} widths: [{string.Join(", ", task.HiddenSizes.Take(8))}{(task.HiddenSizes.Count > 8 ? ", …" : "")}])");
            }

            var duplicate = Tasks.GroupBy(t => t.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
            Require(duplicate is null, "tasks", $"names task '{ErrorText.Shorten(duplicate?.Key ?? "")}' twice");
            Require(Enum.IsDefined(Activation), "activation", $"must be one of {string.Join(", ", Enum.GetNames<HeadActivation>())} (got {(int)Activation})");
            Require(Enum.IsDefined(Pooling), "pooling", $"must be one of {string.Join(", ", Enum.GetNames<PoolingStrategy>())} (got {(int)Pooling})");
            Require(Dropout is >= 0 and < 1, "dropout", $"must be in [0, 1) (got {Dropout})");
            Require(MaxSequenceLength >= MinSequenceLength, "max_seq_length",
                $"must be at least {MinSequenceLength}, room for [CLS] and [SEP] (got {MaxSequenceLength})");
        }

        /// <summary>The model options these values describe (after <see cref="Check"/>).</summary>
        public MultiTaskModelOptions ToOptions(string path)
        {
            var tasks = new TaskDefinition[Tasks.Count];
            for (int i = 0; i < tasks.Length; i++)
            {
                try
                {
                    tasks[i] = new TaskDefinition(Tasks[i].Name, Tasks[i].Labels);
                }
                catch (ArgumentException ex)
                {
                    throw new ModelFormatException(path, $"'tasks[{i}].labels': {ex.Message}", ex);
                }
            }

            var options = new MultiTaskModelOptions
            {
                Tasks = tasks,
                TaskHeadHiddenSizes = Tasks.ToDictionary(t => t.Name, t => (IReadOnlyList<int>)t.HiddenSizes, StringComparer.Ordinal),
                HeadHiddenSizes = [],
                Activation = Activation,
                Dropout = Dropout,
            };
            try
            {
                options.Validate();
            }
            catch (ArgumentException ex)
            {
                throw new ModelFormatException(path, ex.Message, ex);                          // Check covers these rules; this keeps any later one a ModelFormatException
            }

            return options;
        }
    }
}
