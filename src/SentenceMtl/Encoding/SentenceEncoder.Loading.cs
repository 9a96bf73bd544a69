using SentenceMtl.Checkpoints;
using SentenceMtl.Inference;
using SentenceMtl.Inference.Vectors;
using SentenceMtl.Modeling.Bert;
using TorchSharp;
using static TorchSharp.torch;

namespace SentenceMtl;

// Loading: a name or path becomes a source (a folder, a hub snapshot, an installed model, a download), the source a
// tokenizer and a backbone whose weights were checked against its config before it was built.
public sealed partial class SentenceEncoder
{
    /// <summary>
    /// Loads a model, offline first: a Hugging Face / sentence-transformers folder; a hub id (<c>org/name</c>, or
    /// <c>org/name@revision</c>) whose snapshot is in the Hugging Face cache (<c>$HF_HUB_CACHE</c>, <c>$HF_HOME/hub</c>
    /// or <c>~/.cache/huggingface/hub</c>); an embedded model (<c>"all-MiniLM-L6-v2"</c>, <c>"snowflake-arctic-embed-xs"</c>
    /// or their hub ids: the sentence-transformers folder that the SentenceMtl.Models.AllMiniLML6V2 /
    /// .SnowflakeArcticEmbedXs package installs in the application's <c>sentencemtl-models/</c>); else a download from the hub into that cache
    /// (honouring <c>HF_ENDPOINT</c>, <c>HF_TOKEN</c> and <c>HF_HUB_OFFLINE</c>; interrupted downloads resume).
    /// </summary>
    /// <param name="modelNameOrPath">A folder path, a hub id or an embedded model name.</param>
    /// <param name="options">Overrides of the model's defaults; <c>null</c> keeps them all.</param>
    /// <exception cref="ModelFormatException">The model cannot be found (the message lists where it looked) or its files are damaged.</exception>
    /// <exception cref="HttpRequestException">A download failed, or did not finish within an hour; calling again resumes it.</exception>
    /// <exception cref="ArgumentException">An option is out of range, or <see cref="SentenceEncoderOptions.Device"/> is not
    /// <c>"cpu"</c>, <c>"cuda"</c> or <c>"cuda:N"</c>.</exception>
    /// <exception cref="InvalidOperationException">A CUDA device is asked for but TorchSharp's CUDA package is not installed
    /// (the message names it) or the machine has no such GPU.</exception>
    /// <exception cref="IOException">A download could not be written to the Hugging Face cache (disk full); the partial file was removed.</exception>
    public static SentenceEncoder FromPretrained(string modelNameOrPath, SentenceEncoderOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelNameOrPath);
        return Load(modelNameOrPath, options, CancellationToken.None);
    }

    /// <summary>
    /// <see cref="FromPretrained"/> on a thread-pool thread, cancellable: cancelling stops a download promptly (the file
    /// being downloaded is removed from the cache) or the load before the model is built.
    /// </summary>
    /// <param name="modelNameOrPath">A folder path, a hub id or an embedded model name.</param>
    /// <param name="options">Overrides of the model's defaults; <c>null</c> keeps them all.</param>
    /// <param name="cancellationToken">Stops the download or the load.</param>
    /// <exception cref="ModelFormatException">The model cannot be found (the message lists where it looked) or its files are damaged.</exception>
    /// <exception cref="HttpRequestException">A download failed, or did not finish within an hour; calling again resumes it.</exception>
    /// <exception cref="ArgumentException">An option is out of range, or <see cref="SentenceEncoderOptions.Device"/> is not
    /// <c>"cpu"</c>, <c>"cuda"</c> or <c>"cuda:N"</c>.</exception>
    /// <exception cref="InvalidOperationException">A CUDA device is asked for but TorchSharp's CUDA package is not installed
    /// (the message names it) or the machine has no such GPU.</exception>
    /// <exception cref="IOException">A download could not be written to the Hugging Face cache (disk full); the partial file was removed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<SentenceEncoder> FromPretrainedAsync(string modelNameOrPath, SentenceEncoderOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelNameOrPath);
        return Task.Run(() => Load(modelNameOrPath, options, cancellationToken), cancellationToken);
    }

    /// <summary>As <see cref="FromPretrained"/>, with the TorchSharp backbone read at once (a multi-task model needs it for its
    /// freezing and heads; reading it inside the load also keeps it consistent with a folder being saved meanwhile).</summary>
    internal static SentenceEncoder LoadWithBackbone(string modelNameOrPath, SentenceEncoderOptions? options, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelNameOrPath);
        return Load(modelNameOrPath, options, cancellationToken, withBackbone: true);
    }

    private static SentenceEncoder Load(string modelNameOrPath, SentenceEncoderOptions? options, CancellationToken cancellationToken, bool withBackbone = false)
    {
        options ??= new SentenceEncoderOptions();
        options.Validate();
        // Before any download: a missing CUDA backend fails fast. Null: the CPU, chosen without loading libtorch.
        var device = TorchDevice.Resolve(options.Device);
        return AtomicDirectory.ReadConsistent(modelNameOrPath, _ => Build(modelNameOrPath, options, device, withBackbone, cancellationToken)); // a folder being saved: before or after
    }

    private static SentenceEncoder Build(string modelNameOrPath, SentenceEncoderOptions options, Device? device, bool withBackbone, CancellationToken cancellationToken)
    {
        var source = ModelResolver.Resolve(modelNameOrPath, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        int maxLength = source.ResolveMaxLength(options.MaxSequenceLength);
        var tokenizer = source.CreateTokenizer(options.DoLowerCase);

        int? engineThreads = options.UseInferenceEngine ? options.Threads ?? Environment.ProcessorCount : null;
        var pooling = options.Pooling ?? source.Pooling;
        bool normalize = options.Normalize ?? source.Normalize;
        if (!withBackbone && engineThreads is { } threads && device is null && VectorWidths.WidestFor(options.Quantization) is not null
            && InferenceEngine.Unsupported(source.Config) is null && source.SafetensorsFile() is { } file)
        {
            // Inference alone needs no libtorch: the engine is built straight from the file, and the TorchSharp backbone
            // is read from the same file when training, saving or the libtorch path first needs it.
            var stamp = FileStamp.Of(file);
            InferenceEngine engine;
            using (var weights = EngineWeightFile.Open(source))
            {
                engine = InferenceEngine.Create(source.Config, weights.Read, new InferenceEngineOptions { Threads = threads, Quantization = options.Quantization });
            }
            return new SentenceEncoder(source, null, () => LoadBackboneLater(source, file, stamp), engine,
                tokenizer, pooling, normalize, maxLength, options.BatchSize, device, engineThreads, options.Quantization);
        }

        device ??= TorchDevice.Cpu();
        return new SentenceEncoder(source, LoadFrozenBackbone(source, device), null, null,
            tokenizer, pooling, normalize, maxLength, options.BatchSize, device, engineThreads, options.Quantization);
    }

    /// <summary>The TorchSharp backbone of an encoder that was loaded for its engine, from the file the engine was built
    /// from; refused when that file has changed since (another save replaced it), since the two would then disagree.</summary>
    private static BertModel LoadBackboneLater(ModelSource source, string file, FileStamp stamp)
    {
        if (FileStamp.Of(file) != stamp)
        {
            throw new InvalidOperationException(
                $"The weight file '{file}' changed after the encoder was loaded from it, and the encoder now needs its TorchSharp " +
                "backbone (to train, save or run on libtorch). Load the model again with SentenceEncoder.FromPretrained.");
        }

        return LoadFrozenBackbone(source, TorchDevice.Cpu());
    }

    /// <summary>Reads the TorchSharp backbone, refuses NaN or infinite weights, and freezes it in evaluation mode on <paramref name="device"/>.</summary>
    private static BertModel LoadFrozenBackbone(ModelSource source, Device device)
    {
        TorchSharpNative.EnsureLoadable();
        var model = LoadBackbone(source);
        if (FiniteWeights.FirstNonFinite(model.named_parameters()) is { } damaged)
        {
            model.Dispose();
            throw new ModelFormatException(source.WeightsName,
                $"the weight '{ErrorText.Shorten(damaged)}' holds NaN or infinite values: the file is damaged or was written from a diverged training run.");
        }

        model.eval();
        model.to(device);
        foreach (var parameter in model.parameters())
        {
            parameter.requires_grad = false;                                                     // an encoder is frozen until a trainer unfreezes it
        }

        return model;
    }

    /// <summary>A file's length and last write time, to notice that it was replaced.</summary>
    private readonly record struct FileStamp(long Length, DateTime LastWriteUtc)
    {
        public static FileStamp Of(string path)
        {
            var info = new FileInfo(path);
            return new FileStamp(info.Length, info.LastWriteTimeUtc);
        }
    }

    private static BertModel LoadBackbone(ModelSource source)
    {
        // The weights' keys and shapes are compared with config.json before the model is built: a config claiming a
        // far larger model than its weights fails here instead of allocating that model.
        BertModel Create(IReadOnlyDictionary<string, long[]> shapes)
        {
            WeightShapeCheck.RequireBert(source.Config, shapes, source.ConfigName, source.WeightsName);
            return new(source.Config, addPoolingLayer: shapes.Keys.Any(k => k.StartsWith("pooler.", StringComparison.Ordinal)));
        }

        if (source.SafetensorsFile() is { } file)
        {
            return StateDictLoader.LoadSafetensors(file, "bert.", Create);                        // no second copy of the weights
        }

        var raw = TensorConversion.ReadWeightFile(source.WeightsFile);
        BertModel? loaded = null;
        try
        {
            var weights = StateDictLoader.Normalize(raw, "bert.");
            loaded = Create(weights.ToDictionary(kv => kv.Key, kv => kv.Value.shape, StringComparer.Ordinal));
            StateDictLoader.Load(loaded, weights, source.WeightsName);
            var result = loaded;
            loaded = null;
            return result;
        }
        finally
        {
            loaded?.Dispose();
            foreach (var t in raw.Values)
            {
                t.Dispose();
            }
        }
    }
}
