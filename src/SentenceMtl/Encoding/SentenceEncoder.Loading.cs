using SentenceMtl.Checkpoints;
using SentenceMtl.Inference;
using SentenceMtl.Inference.Vectors;

namespace SentenceMtl;

// Loading: a name or path becomes a source (a folder, a hub snapshot, an installed model, a download), the source a
// tokenizer and an inference session whose weights were checked against its config before they were read.
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
    /// <exception cref="ModelNotFoundException">No model has that name or path: no folder there, no embedded model, and the
    /// hub cache, the hub (or its absence: unreachable, HF_HUB_OFFLINE) has none. The message lists where it looked and
    /// suggests the closest existing name or folder. It derives from <see cref="ModelFormatException"/>.</exception>
    /// <exception cref="ModelFormatException">The model's files are damaged.</exception>
    /// <exception cref="HttpRequestException">The hub has the model but its download failed, or did not finish within an
    /// hour; calling again resumes it.</exception>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    /// <exception cref="NotSupportedException">The model uses a setting the engine does not implement, or int8 is asked
    /// for on a machine that cannot run it; the message says which.</exception>
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
    /// <exception cref="ModelNotFoundException">No model has that name or path: no folder there, no embedded model, and the
    /// hub cache, the hub (or its absence: unreachable, HF_HUB_OFFLINE) has none. The message lists where it looked and
    /// suggests the closest existing name or folder. It derives from <see cref="ModelFormatException"/>.</exception>
    /// <exception cref="ModelFormatException">The model's files are damaged.</exception>
    /// <exception cref="HttpRequestException">The hub has the model but its download failed, or did not finish within an
    /// hour; calling again resumes it.</exception>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    /// <exception cref="NotSupportedException">The model uses a setting the engine does not implement, or int8 is asked
    /// for on a machine that cannot run it; the message says which.</exception>
    /// <exception cref="IOException">A download could not be written to the Hugging Face cache (disk full); the partial file was removed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<SentenceEncoder> FromPretrainedAsync(string modelNameOrPath, SentenceEncoderOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelNameOrPath);
        return Task.Run(() => Load(modelNameOrPath, options, cancellationToken), cancellationToken);
    }

    private static SentenceEncoder Load(string modelNameOrPath, SentenceEncoderOptions? options, CancellationToken cancellationToken)
    {
        options ??= new SentenceEncoderOptions();
        options.Validate();
        return AtomicDirectory.ReadConsistent(modelNameOrPath, _ => Build(modelNameOrPath, options, cancellationToken)); // a folder being saved: before or after
    }

    /// <summary>Resolves the model, reads its tokenizer, and builds the session straight from the weight file, each
    /// tensor read into the engine's own buffers after the file's keys and shapes were checked against config.json.</summary>
    private static SentenceEncoder Build(string modelNameOrPath, SentenceEncoderOptions options, CancellationToken cancellationToken)
    {
        var source = ModelResolver.Resolve(modelNameOrPath, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        int maxLength = source.ResolveMaxLength(options.MaxSequenceLength);
        var tokenizer = source.CreateTokenizer(options.DoLowerCase);
        RequireSupported(source, options.Quantization);
        string file = source.SafetensorsFile() ?? source.WeightsFile;
        var weights = EncoderWeights.FromFile(source, file);                                       // notes the file's stamp before reading it
        InferenceEngine engine;
        using (var reader = EngineWeightFile.Open(source))
        {
            engine = InferenceEngine.Create(source.Config, reader.Read,
                new InferenceEngineOptions { Threads = options.Threads ?? Environment.ProcessorCount, Quantization = options.Quantization });
        }

        return new SentenceEncoder(source, tokenizer, weights, engine, options.Pooling ?? source.Pooling,
            options.Normalize ?? source.Normalize, maxLength, options.BatchSize);
    }

    /// <summary>Refuses a model the engine does not implement, or int8 on a machine whose vectors cannot run it, before
    /// any weight is read.</summary>
    /// <exception cref="NotSupportedException">The message names the setting and what to do.</exception>
    private static void RequireSupported(ModelSource source, EncoderQuantization quantization)
    {
        if (InferenceEngine.Unsupported(source.Config) is { } unsupported)
        {
            throw new NotSupportedException(
                $"The model '{source.Id}' uses {unsupported} ({source.ConfigName}), which SentenceMtl's inference engine does not implement.");
        }

        if (quantization == EncoderQuantization.Int8 && VectorWidths.WidestFor(quantization) is null)
        {
            throw new NotSupportedException(
                "Quantization Int8 needs vectors that run the int8 kernels (AVX-512BW, AVX2 or SSSE3 with FMA, or ARM64), which this machine lacks. Use Quantization = None.");
        }
    }
}
