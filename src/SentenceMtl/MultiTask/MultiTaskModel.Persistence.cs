using System.Text.Json;
using System.Text.Json.Serialization;
using SentenceMtl.Checkpoints;
using SentenceMtl.Modeling.Heads;
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

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>
    /// Saves the model into <paramref name="directory"/>: a valid Hugging Face / sentence-transformers folder for
    /// the backbone, plus <see cref="HeadsFileName"/> and <see cref="ConfigFileName"/>. The folder is replaced
    /// atomically: a crash mid-save leaves the previous save loadable. Only a new folder, an empty one or an earlier
    /// save (it holds a <c>sentencemtl_manifest.json</c> listing its files, and nothing else) is replaced; saves of one
    /// folder take turns through the file <c>{directory}.lock</c>, which stays beside it.
    /// </summary>
    /// <param name="directory">The folder to create or replace.</param>
    /// <exception cref="IOException">
    /// <paramref name="directory"/> is a file, the current directory, or a folder holding anything a save did not write
    /// (it is left untouched; the message names it: choose a new or empty folder); or another save of it took over five minutes.
    /// </exception>
    /// <exception cref="InvalidOperationException">A weight is NaN or infinite (the message names it); nothing is written.</exception>
    public void Save(string directory)
    {
        ThrowIfDisposed();
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        using var lease = Share();
        FiniteWeights.RequireForSave(AllParametersByName());
        AtomicDirectory.Replace(directory, folder =>
        {
            EncoderFolderWriter.Write(encoder, folder);
            SafetensorsWriter.Write(Path.Combine(folder, HeadsFileName),
                Tasks.SelectMany(t => heads[t.Name].state_dict().Select(kv => TensorConversion.ToData($"{t.Name}.{kv.Key}", kv.Value))).ToList());
            var config = new SavedConfig
            {
                FormatVersion = 1,
                Tasks = [.. Tasks.Select(t => new SavedTask { Name = t.Name, Labels = [.. t.Labels], HiddenSizes = [.. Options.HiddenSizesFor(t.Name)] })],
                Activation = Options.Activation,
                Dropout = Options.Dropout,
                FreezeBackbone = IsBackboneFrozen,
                Pooling = encoder.Pooling,
                Normalize = encoder.Normalize,
                MaxSequenceLength = encoder.MaxSequenceLength,
            };
            AtomicDirectory.WriteFile(Path.Combine(folder, ConfigFileName), JsonSerializer.Serialize(config, JsonOptions));
        });
    }

    /// <summary>Loads a model saved by <see cref="Save"/>; predictions are identical to the saved model's.</summary>
    /// <param name="directory">
    /// The saved folder (if a save was interrupted, its complete previous version is used). A load while another thread
    /// or process saves the folder returns the model before that save or the one after it.
    /// </param>
    /// <param name="encoderOptions">Optional overrides (batch size, device); pooling and length default to the saved ones.</param>
    /// <exception cref="ModelFormatException">A file is missing or damaged; the message names it (and the key of
    /// <see cref="ConfigFileName"/> that is wrong).</exception>
    public static MultiTaskModel Load(string directory, SentenceEncoderOptions? encoderOptions = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        return AtomicDirectory.ReadConsistent(directory, folder =>
            LoadFrom(folder ?? throw new ModelFormatException(directory, "no saved model folder here."), encoderOptions));
    }

    private static MultiTaskModel LoadFrom(string folder, SentenceEncoderOptions? encoderOptions)
    {
        string configPath = Path.Combine(folder, ConfigFileName);
        var saved = ReadConfig(configPath);
        var options = saved.ToOptions(configPath);
        var encoder = LoadEncoder(folder, configPath, saved, encoderOptions);
        var heads = new Dictionary<string, ClassificationHead>(StringComparer.Ordinal);
        try
        {
            string headsPath = Path.Combine(folder, HeadsFileName);
            if (!File.Exists(headsPath))
            {
                throw new ModelFormatException(headsPath, "file not found.");
            }

            RequireHeadShapes(headsPath, configPath, encoder.Dimension, options);
            var tensors = TensorConversion.ReadSafetensors(headsPath);
            try
            {

                foreach (var task in options.Tasks)
                {
                    heads[task.Name] = NewHead(encoder, options, task);
                    var own = tensors.Where(kv => kv.Key.StartsWith(task.Name + ".", StringComparison.Ordinal))
                        .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
                    StateDictLoader.Load(heads[task.Name], StateDictLoader.Normalize(own, task.Name + "."), headsPath);
                    if (FiniteWeights.FirstNonFinite(heads[task.Name].named_parameters()) is { } damaged)
                    {
                        throw new ModelFormatException(headsPath,
                            $"the weight '{ErrorText.Shorten(task.Name + "." + damaged)}' holds NaN or infinite values: the file is damaged or was written from a diverged training run.");
                    }
                }
            }
            finally
            {
                foreach (var t in tensors.Values)
                {
                    t.Dispose();
                }
            }

            return new MultiTaskModel(encoder, options, heads);
        }
        catch
        {
            foreach (var head in heads.Values)
            {
                head.Dispose();
            }

            encoder.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Compares the heads file's header (names and shapes only) with the heads the config describes, before any head
    /// is built, so a config claiming heads far larger than the file holds fails without allocating them.
    /// </summary>
    /// <exception cref="ModelFormatException">A key is missing, unexpected or mis-shaped; the message names the task and field.</exception>
    private static void RequireHeadShapes(string headsPath, string configPath, int inputSize, MultiTaskModelOptions options)
    {
        Dictionary<string, long[]> found;
        using (var stream = SafetensorsReader.Open(headsPath))
        {
            found = SafetensorsHeader.Read(stream, headsPath).Entries.ToDictionary(e => e.Name, e => e.Shape, StringComparer.Ordinal);
        }

        var unexpected = found.Keys.Where(k => options.Tasks.All(t => !k.StartsWith(t.Name + ".", StringComparison.Ordinal))).ToList();
        if (unexpected.Count > 0)
        {
            throw new ModelFormatException(headsPath, $"unexpected keys (no such task): {ErrorText.List(unexpected)}.");
        }

        foreach (var task in options.Tasks)
        {
            string prefix = task.Name + ".";
            var expected = ClassificationHead.ExpectedShapes(inputSize, options.HiddenSizesFor(task.Name), task.Labels.Count)
                .ToDictionary(kv => prefix + kv.Key, kv => (kv.Value.Shape, $"task '{task.Name}': {kv.Value.Fields}"), StringComparer.Ordinal);
            var own = found.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            WeightShapeCheck.Require(expected, own, configPath, headsPath);
        }
    }
}
