namespace SentenceMtl.Server.Hosting;

/// <summary>Loads the configured models for <see cref="ModelHost"/> (a service of its own so that tests can observe or
/// delay loading).</summary>
internal class ModelLoader
{
    /// <summary>
    /// The encoder, and the classifier when <see cref="ServerOptions.Classifier"/> is set. Without
    /// <see cref="ServerOptions.Model"/>, a classifier's own encoder is the encoder (one backbone, the same object);
    /// with both, each has its own. Folders are resolved against the current directory (the one the server was started
    /// from, also under <c>dotnet run</c>), and the errors show the resolved path.
    /// </summary>
    /// <exception cref="ModelFormatException">A model is damaged; <see cref="ModelNotFoundException"/> (derived from it)
    /// when a model or folder is not there (the message says where it looked).</exception>
    public virtual async Task<(SentenceEncoder Encoder, MultiTaskModel? Classifier)> LoadAsync(ServerOptions options, CancellationToken cancellationToken)
    {
        var encoderOptions = new SentenceEncoderOptions { Threads = options.Threads, Quantization = options.Quantization };
        string? classifierFolder = options.Classifier is { } given ? RequireFolder(given, "SentenceMtl:Classifier (--classifier)") : null;
        if (options.Model is null && classifierFolder is not null)
        {
            var own = await Task.Run(() => MultiTaskModel.Load(classifierFolder, encoderOptions), cancellationToken);
            return (own.Encoder, own);
        }

        string model = ResolveModel(options.Model ?? ServerOptions.DefaultModel);
        var encoder = await SentenceEncoder.FromPretrainedAsync(model, encoderOptions, cancellationToken);
        try
        {
            var classifier = classifierFolder is null
                ? null
                : await Task.Run(() => MultiTaskModel.Load(classifierFolder, encoderOptions), cancellationToken);
            return (encoder, classifier);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>
    /// <paramref name="model"/> as <see cref="SentenceEncoder.FromPretrainedAsync"/> should get it: an existing folder as
    /// its absolute path; a value written as a path (absolute, or starting with <c>.</c> or <c>~</c>) that is no folder
    /// is refused with the resolved path; anything else (an embedded name, a hub id) as given.
    /// </summary>
    /// <exception cref="ModelNotFoundException">A path that is no folder.</exception>
    internal static string ResolveModel(string model)
    {
        string full = Path.GetFullPath(model);
        if (Directory.Exists(full))
        {
            return full;
        }

        return Path.IsPathRooted(model) || model.StartsWith('.') || model.StartsWith('~')
            ? RequireFolder(model, "SentenceMtl:Model (--model)")
            : model;
    }

    /// <summary>The absolute path of the folder <paramref name="path"/>.</summary>
    /// <exception cref="ModelNotFoundException">No folder is there (the library's one exception for a model that is not
    /// there); the message gives the resolved path and the setting.</exception>
    internal static string RequireFolder(string path, string setting)
    {
        string full = Path.GetFullPath(path);
        return Directory.Exists(full)
            ? full
            : throw new ModelNotFoundException(full,
                $"no such folder ({setting} is '{path}', resolved against the current directory {Environment.CurrentDirectory}); " +
                "give an existing folder, absolute or relative to the directory the server is started from.");
    }
}
