using System.Text.Json;
using SentenceMtl.Checkpoints;
using SentenceMtl.MultiTask;
using SentenceMtl.Serialization;

namespace SentenceMtl;

// Saving and loading: a sentence-transformers folder for the backbone, heads.safetensors for the heads and
// multitask_config.json for the architecture.
public sealed partial class MultiTaskModel
{
    /// <summary>The file that describes tasks and heads inside a saved model folder.</summary>
    public const string ConfigFileName = "multitask_config.json";

    /// <summary>The heads' weights inside a saved model folder (keys <c>{task}.mlp.{i}.weight</c>).</summary>
    public const string HeadsFileName = "heads.safetensors";

    /// <summary>
    /// Saves the model into <paramref name="directory"/>: a valid Hugging Face / sentence-transformers folder for
    /// the backbone, plus <see cref="HeadsFileName"/> and <see cref="ConfigFileName"/>. The folder is replaced
    /// atomically: a crash mid-save leaves the previous save loadable. Only a new folder, an empty one or an earlier
    /// save (it holds a <c>sentencemtl_manifest.json</c> listing its files, and nothing else) is replaced; saves of one
    /// folder take turns through a lock on the file <c>{directory}.lock</c>, which the save deletes when it ends.
    /// </summary>
    /// <param name="directory">The folder to create or replace.</param>
    /// <exception cref="IOException">
    /// <paramref name="directory"/> is a file, the current directory, or a folder holding anything a save did not write
    /// (it is left untouched; the message names it: choose a new or empty folder); or another save of it took over five minutes.
    /// </exception>
    /// <exception cref="InvalidOperationException">The heads are not trained yet, or the weight file the encoder was
    /// loaded from changed since (load it again); nothing is written.</exception>
    public void Save(string directory)
    {
        ThrowIfDisposed();
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        using var lease = Share();
        var trained = TrainedHeads("save");
        var backbone = encoder.ReadWeights();                                                    // weights are finite: the session was built from them
        AtomicDirectory.Replace(directory, folder =>
        {
            EncoderFolderWriter.Write(encoder, backbone, folder);
            SafetensorsWriter.Write(Path.Combine(folder, HeadsFileName),
                Tasks.SelectMany(t => trained[t.Name].ToStateDict(t.Name + ".")).ToList());
            var config = new SavedConfig
            {
                FormatVersion = 1,
                Tasks = [.. Tasks.Select(t => new SavedTask { Name = t.Name, Labels = [.. t.Labels], HiddenSizes = [.. Options.HiddenSizesFor(t.Name)] })],
                Activation = Options.Activation,
                Dropout = Options.Dropout,
                FreezeBackbone = true,                                                          // a saved model loads frozen
                Pooling = encoder.Pooling,
                Normalize = encoder.Normalize,
                MaxSequenceLength = encoder.MaxSequenceLength,
            };
            AtomicDirectory.WriteFile(Path.Combine(folder, ConfigFileName), JsonSerializer.Serialize(config, CoreJson.Default.SavedConfig));
        });
    }

    /// <summary>Loads a model saved by <see cref="Save"/>; predictions are identical to the saved model's.</summary>
    /// <param name="directory">
    /// The saved folder (if a save was interrupted, its complete previous version is used). A load while another thread
    /// or process saves the folder returns the model before that save or the one after it.
    /// </param>
    /// <param name="encoderOptions">Optional overrides (batch size, device); pooling and length default to the saved ones.</param>
    /// <exception cref="ModelNotFoundException">There is no folder at <paramref name="directory"/> (the message gives its full
    /// path and the closest sibling folder, if one is close).</exception>
    /// <exception cref="ModelFormatException">A file is missing or damaged; the message names it (and the key of
    /// <see cref="ConfigFileName"/> that is wrong).</exception>
    public static MultiTaskModel Load(string directory, SentenceEncoderOptions? encoderOptions = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        return AtomicDirectory.ReadConsistent(directory, folder =>
            LoadFrom(folder ?? throw NoSavedModel(directory), encoderOptions));
    }

    private static ModelNotFoundException NoSavedModel(string directory)
    {
        string? sibling = ModelSuggestions.SiblingFolder(directory);
        return new ModelNotFoundException(directory,
            $"no saved model folder here (full path {Path.GetFullPath(directory)}).{ModelSuggestions.Sentence(sibling)}", sibling);
    }

    private static MultiTaskModel LoadFrom(string folder, SentenceEncoderOptions? encoderOptions)
    {
        string configPath = Path.Combine(folder, ConfigFileName);
        var saved = ReadConfig(configPath);
        var options = saved.ToOptions(configPath);
        string headsPath = Path.Combine(folder, HeadsFileName);
        if (!File.Exists(headsPath))
        {
            throw new ModelFormatException(headsPath, "file not found.");
        }

        var encoder = LoadEncoder(folder, configPath, saved, encoderOptions);
        try
        {
            var expected = ExpectedHeadKeys(encoder.Dimension, options);
            RequireHeadShapes(headsPath, configPath, expected);
            var tensors = SafetensorsReader.Read(headsPath).ToDictionary(t => t.Name, StringComparer.Ordinal);
            var heads = new Dictionary<string, MlpHead>(StringComparer.Ordinal);
            foreach (var task in options.Tasks)
            {
                // Keys are matched exactly ("{task}." + the head's own key), so no task can claim another's weights,
                // whatever the names ("a" and "a.b", "topic" and "topic.mlp.0").
                string prefix = task.Name + ".";
                var own = expected[task.Name].Keys.ToDictionary(k => k, k => tensors[prefix + k], StringComparer.Ordinal);
                heads[task.Name] = MlpHead.FromStateDict(own, options.HiddenSizesFor(task.Name).Count, options.Activation, headsPath, prefix);
            }

            return new MultiTaskModel(encoder, options, heads);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>Per task, the keys of its head (without the task prefix) with their shapes and what sets them.</summary>
    private static Dictionary<string, Dictionary<string, (long[] Shape, string Fields)>> ExpectedHeadKeys(int inputSize, MultiTaskModelOptions options) =>
        options.Tasks.ToDictionary(t => t.Name,
            t => MlpHead.ExpectedShapes(inputSize, options.HiddenSizesFor(t.Name), t.Labels.Count), StringComparer.Ordinal);

    /// <summary>
    /// Compares the heads file's header (names and shapes only) with the heads the config describes, before any head
    /// is built, so a config claiming heads far larger than the file holds fails without allocating them.
    /// </summary>
    /// <exception cref="ModelFormatException">A key is missing, unexpected or mis-shaped; the message names the task and field.</exception>
    private static void RequireHeadShapes(string headsPath, string configPath, Dictionary<string, Dictionary<string, (long[] Shape, string Fields)>> expected)
    {
        Dictionary<string, long[]> found;
        using (var stream = SafetensorsReader.Open(headsPath))
        {
            found = SafetensorsHeader.Read(stream, headsPath).Entries.ToDictionary(e => e.Name, e => e.Shape, StringComparer.Ordinal);
        }

        var all = expected.SelectMany(task => task.Value.Select(kv => (Key: task.Key + "." + kv.Key, Task: task.Key, kv.Value.Shape, kv.Value.Fields)))
            .ToDictionary(e => e.Key, e => (e.Shape, $"task '{e.Task}': {e.Fields}"), StringComparer.Ordinal);
        var unexpected = found.Keys.Where(k => !all.ContainsKey(k)).ToList();
        if (unexpected.Count > 0)
        {
            throw new ModelFormatException(headsPath, $"unexpected keys (no such task or layer): {ErrorText.List(unexpected)}.");
        }

        WeightShapeCheck.Require(all, found, configPath, headsPath);
    }
}
