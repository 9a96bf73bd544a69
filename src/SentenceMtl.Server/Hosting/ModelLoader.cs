namespace SentenceMtl.Server.Hosting;

/// <summary>Loads the configured models for <see cref="ModelHost"/> (a service of its own so that tests can observe or
/// delay loading).</summary>
internal class ModelLoader
{
    /// <summary>The encoder, and the classifier when <see cref="ServerOptions.Classifier"/> is set.</summary>
    /// <exception cref="ModelFormatException">A model cannot be found or is damaged (the message says where it looked).</exception>
    public virtual async Task<(SentenceEncoder Encoder, MultiTaskModel? Classifier)> LoadAsync(ServerOptions options, CancellationToken cancellationToken)
    {
        var encoderOptions = new SentenceEncoderOptions { Threads = options.Threads, Quantization = options.Quantization };
        var encoder = await SentenceEncoder.FromPretrainedAsync(options.Model, encoderOptions, cancellationToken);
        try
        {
            var classifier = options.Classifier is { } folder
                ? await Task.Run(() => MultiTaskModel.Load(folder, encoderOptions), cancellationToken)
                : null;
            return (encoder, classifier);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }
}
