using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using SentenceMtl.Server.Endpoints;
using SentenceMtl.Server.Hosting;

namespace SentenceMtl.Server.Batching;

/// <summary>
/// Dynamic batching: requests queue here, and one worker takes what is queued — up to
/// <see cref="ServerOptions.MaxBatchTokens"/> tokens, waiting at most <see cref="ServerOptions.MaxBatchWait"/> for more —
/// and embeds it with one <see cref="SentenceEncoder.Encode(IEnumerable{string}, EncodeOptions?, CancellationToken)"/> call
/// per distinct <see cref="EmbeddingSettings"/>. Each request gets exactly its own vectors: the encoder embeds every text
/// independently of the others in its batch, so they equal what <c>Encode</c> returns for the request's texts alone.
/// Stopping closes the queue to new requests and finishes those already queued.
/// </summary>
internal sealed class BatchingQueue : BackgroundService
{
    private readonly Channel<EmbeddingJob> channel;
    private readonly ModelHost models;
    private readonly ServerMetrics metrics;
    private readonly ServerOptions options;
    private readonly ILogger<BatchingQueue> logger;

    /// <summary>Creates the queue (bounded by <see cref="ServerOptions.MaxQueuedRequests"/>).</summary>
    public BatchingQueue(ModelHost models, ServerMetrics metrics, IOptions<ServerOptions> options, ILogger<BatchingQueue> logger)
    {
        this.models = models;
        this.metrics = metrics;
        this.options = options.Value;
        this.logger = logger;
        channel = Channel.CreateBounded<EmbeddingJob>(new BoundedChannelOptions(this.options.MaxQueuedRequests)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Queues <paramref name="texts"/> and returns their vectors once their batch has run.</summary>
    /// <exception cref="ApiException">503: the queue is full, or the server is stopping.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (the job is then skipped if not started).</exception>
    public Task<float[][]> EmbedAsync(IReadOnlyList<string> texts, int tokens, EmbeddingSettings settings, CancellationToken cancellationToken)
    {
        var job = new EmbeddingJob(texts, tokens, settings, cancellationToken);
        if (!channel.Writer.TryWrite(job))
        {
            throw ApiException.Unavailable(
                "The server's queue is full or the server is stopping; retry shortly (or raise SentenceMtl:MaxQueuedRequests).");
        }

        return job.Completion.Task.WaitAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await models.WhenReady.WaitAsync(stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!models.IsReady)
        {
            return;
        }

        var encoder = models.Encoder!;
        // Not stoppingToken: once the writer is completed the loop still empties the queue, then ends.
        while (await NextBatchAsync() is { Count: > 0 } batch)
        {
            Run(encoder, batch);
        }
    }

    /// <summary>Closes the queue and waits (within the host's shutdown timeout) for the queued requests to be answered.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        channel.Writer.TryComplete();
        if (models.IsReady && ExecuteTask is { } worker)
        {
            await worker.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await base.StopAsync(cancellationToken);
    }

    /// <summary>
    /// The next batch: waits for a first job, then adds queued jobs while the batch is under the token budget; when the
    /// queue runs dry it waits up to <see cref="ServerOptions.MaxBatchWait"/> (from the first job) for more. Jobs whose
    /// request was cancelled are dropped. An empty list means the queue is closed and empty.
    /// </summary>
    private async Task<List<EmbeddingJob>> NextBatchAsync()
    {
        var batch = new List<EmbeddingJob>();
        var reader = channel.Reader;
        int tokens = 0;
        long deadline = 0;
        while (true)
        {
            while (reader.TryPeek(out var job))
            {
                if (batch.Count > 0 && tokens + job.Tokens > options.MaxBatchTokens)
                {
                    return batch;
                }

                reader.TryRead(out _);
                if (job.CancellationToken.IsCancellationRequested)
                {
                    job.Completion.TrySetCanceled(job.CancellationToken);
                    continue;
                }

                batch.Add(job);
                tokens += job.Tokens;
                deadline = deadline == 0 ? Stopwatch.GetTimestamp() + (long)(options.MaxBatchWait.TotalSeconds * Stopwatch.Frequency) : deadline;
            }

            if (batch.Count == 0)
            {
                if (!await reader.WaitToReadAsync())
                {
                    return batch;
                }

                continue;
            }

            var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
            if (remaining <= TimeSpan.Zero || !await WaitForMoreAsync(reader, remaining))
            {
                return batch;
            }
        }
    }

    /// <summary>Whether a job arrives within <paramref name="timeout"/>.</summary>
    private static async Task<bool> WaitForMoreAsync(ChannelReader<EmbeddingJob> reader, TimeSpan timeout)
    {
        using var timer = new CancellationTokenSource(timeout);
        try
        {
            return await reader.WaitToReadAsync(timer.Token);
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Embeds a batch, one <c>Encode</c> call per settings, and completes each job with its slice.</summary>
    private void Run(SentenceEncoder encoder, List<EmbeddingJob> batch)
    {
        long started = Stopwatch.GetTimestamp();
        foreach (var job in batch)
        {
            metrics.Queued(Stopwatch.GetElapsedTime(job.EnqueuedAt, started));
        }

        foreach (var group in batch.GroupBy(job => job.Settings))
        {
            var jobs = group.ToList();
            var texts = jobs.SelectMany(job => job.Texts).ToList();
            metrics.Batch(texts.Count, jobs.Count);
            try
            {
                var vectors = encoder.Encode(texts, group.Key.ToEncodeOptions());
                int offset = 0;
                foreach (var job in jobs)
                {
                    job.Completion.TrySetResult(vectors[offset..(offset + job.Texts.Count)]);
                    offset += job.Texts.Count;
                }
            }
            catch (Exception e)
            {
                logger.LogError(e, "A batch of {Texts} texts failed.", texts.Count);
                foreach (var job in jobs)
                {
                    job.Completion.TrySetException(e);
                }
            }
        }
    }
}
