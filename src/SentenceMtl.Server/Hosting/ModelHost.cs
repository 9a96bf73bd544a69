using Microsoft.Extensions.Options;

namespace SentenceMtl.Server.Hosting;

/// <summary>
/// Loads the encoder (and the classifier, when configured) in the background once the server has started, so that
/// <c>/health</c> answers 503 while loading and 200 once <see cref="IsReady"/>. A model that fails to load stops the
/// application with exit code 1 (the log says why). Disposed, with the models, when the host is disposed.
/// </summary>
internal sealed class ModelHost(IOptions<ServerOptions> options, ModelLoader loader, IHostApplicationLifetime lifetime,
    ILogger<ModelHost> logger)
    : IHostedService, IDisposable
{
    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource stopping = new();
    private Task? loading;
    private int disposed;

    /// <summary>The encoder behind <c>/v1/embeddings</c> and <c>/embed</c>; null until loaded.</summary>
    public SentenceEncoder? Encoder { get; private set; }

    /// <summary>The classifier behind <c>/classify</c>; null until loaded or when none is configured.</summary>
    public MultiTaskModel? Classifier { get; private set; }

    /// <summary>The names a request's <c>model</c> may give (any case): see <see cref="ServedModelNames"/>.</summary>
    public ServedModelNames? Names { get; private set; }

    /// <summary>The classifier's name, tasks and labels; null until loaded or when none is configured.</summary>
    public ServedClassifier? ClassifierInfo { get; private set; }

    /// <summary>Whether every configured model is loaded.</summary>
    public bool IsReady => ready.Task.IsCompletedSuccessfully;

    /// <summary>Completes when the models are loaded; faults when loading failed.</summary>
    public Task WhenReady => ready.Task;

    /// <summary>The encoder, or 503 while it loads.</summary>
    /// <exception cref="Endpoints.ApiException">Not loaded yet.</exception>
    public SentenceEncoder RequireEncoder() => IsReady && Encoder is { } encoder
        ? encoder
        : throw Endpoints.ApiException.Unavailable("The model is still loading; retry when GET /health answers 200.");

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        loading = Task.Run(() => Load(settings, stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await stopping.CancelAsync();
        if (loading is not null)
        {
            await loading.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task Load(ServerOptions settings, CancellationToken cancellationToken)
    {
        try
        {
            logger.LogInformation("Loading the model {Model} and the classifier {Classifier}.",
                settings.Model ?? (settings.Classifier is null ? ServerOptions.DefaultModel : "(the classifier's own encoder)"),
                settings.Classifier ?? "(none)");
            (Encoder, Classifier) = await loader.LoadAsync(settings, cancellationToken);
            Names = ServedModelNames.For(Encoder, settings.ServedModelName);
            ClassifierInfo = Classifier is null ? null : ServedClassifier.For(Classifier, settings.Classifier!, Encoder);
            logger.LogInformation("Serving {Model} ({Dimension} dimensions, {Backend}); classifier: {Classifier}.", Names.Primary,
                Encoder.Dimension, Encoder.InferenceBackend, ClassifierInfo is { } info
                    ? $"{info.Name}, tasks {info.DescribeTasks()}{(info.ServesEmbeddings ? ", whose encoder serves the embeddings" : ", on a backbone of its own")}"
                    : "none");
            ready.TrySetResult();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            ready.TrySetCanceled(cancellationToken);
        }
        catch (ModelFormatException e)
        {
            // The message says what and where (the resolved path); a stack trace would only bury it.
            Fail(e, () => logger.LogCritical("Could not load the model: {Problem} Stopping (exit code 1).", e.Message));
        }
        catch (Exception e)
        {
            Fail(e, () => logger.LogCritical(e, "Could not load the model (SentenceMtl:Model = {Model}, SentenceMtl:Classifier = {Classifier}); stopping.",
                settings.Model, settings.Classifier));
        }
    }

    /// <summary>Logs why loading failed, faults readiness and stops the application with exit code 1.</summary>
    private void Fail(Exception e, Action log)
    {
        log();
        ready.TrySetException(e);
        Environment.ExitCode = 1;
        // Stopped once started (at once if it has): stopping while the host still starts cancels the start, which
        // then ends in a TaskCanceledException and its stack trace instead of this reason.
        lifetime.ApplicationStarted.Register(lifetime.StopApplication);
    }

    /// <summary>Frees the models' native memory; once only (the container holds this object under two registrations).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }

        // The token source is cancelled, not disposed: a late StopAsync may still cancel it.
        stopping.Cancel();
        // One backbone: the encoder is the classifier's and goes with it.
        if (Encoder is not null && !ReferenceEquals(Encoder, Classifier?.Encoder))
        {
            Encoder.Dispose();
        }

        Classifier?.Dispose();
    }
}
