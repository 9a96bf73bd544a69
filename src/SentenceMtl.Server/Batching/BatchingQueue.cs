using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using SentenceMtl.Server.Endpoints;
using SentenceMtl.Server.Hosting;

namespace SentenceMtl.Server.Batching;

/// <summary>
/// Dynamic batching for embeddings and classification: requests are admitted against the token budget
/// (<see cref="Admission"/>) and queue here; one worker runs batches of at most <see cref="ServerOptions.MaxBatchTokens"/>
/// tokens (a single longer text still runs), one runner call each, waiting at most <see cref="ServerOptions.MaxBatchWait"/>
/// for more requests when it was idle. Each batch starts with the request that has the fewest tokens left to run
/// (shortest remaining work first), then adds others with the same runner in that order: a large request is spread
/// over several batches, and a small one that arrives meanwhile runs in the next batch instead of waiting for the
/// large ones (measured: with 64 queued /classify requests, ordering by tokens already served made a small request
/// wait 61 s, behind every request not yet started). Large requests go on whenever no smaller one waits; the
/// admission budget bounds how much can wait ahead of them. Each
/// request gets exactly its own results (see <see cref="IBatchRunner"/>). A running batch stops when all its clients
/// have left. Stopping closes the queue to new requests and finishes those already queued.
/// </summary>
internal sealed class BatchingQueue : BackgroundService
{
    private readonly Channel<QueuedWork> channel;
    private readonly List<QueuedWork> active = [];
    private readonly ModelHost models;
    private readonly Admission admission;
    private readonly ServerMetrics metrics;
    private readonly ServerOptions options;
    private readonly ILogger<BatchingQueue> logger;

    /// <summary>Creates the queue (at most <see cref="ServerOptions.MaxQueuedRequests"/> requests).</summary>
    public BatchingQueue(ModelHost models, Admission admission, ServerMetrics metrics, IOptions<ServerOptions> options,
        ILogger<BatchingQueue> logger)
    {
        this.models = models;
        this.admission = admission;
        this.metrics = metrics;
        this.options = options.Value;
        this.logger = logger;
        channel = Channel.CreateBounded<QueuedWork>(new BoundedChannelOptions(this.options.MaxQueuedRequests)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Queues token ids for the encoder and returns their vectors once they have run.</summary>
    /// <param name="ids">Each text's token ids, from <see cref="TokenCounter"/> with <paramref name="options"/>.</param>
    /// <param name="options">Normalization and dimensions.</param>
    /// <param name="admittedAt">When the request was admitted (<see cref="Admission.AdmittedAt"/>), or 0.</param>
    /// <param name="cancellationToken">The request's cancellation.</param>
    /// <exception cref="ApiException">503: no room in the token budget or the queue, or the server is stopping.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<float[][]> EmbedAsync(IReadOnlyList<int[]> ids, EncodeOptions options, long admittedAt, CancellationToken cancellationToken) =>
        EnqueueAsync<float[]>(new EmbeddingRunner(models.RequireEncoder(), options), ids, admittedAt, cancellationToken);

    /// <summary>Queues token ids for <paramref name="classifier"/>; as <see cref="EmbedAsync"/>. Per text, every task's prediction.</summary>
    public Task<TaskPrediction[][]> ClassifyAsync(MultiTaskModel classifier, IReadOnlyList<int[]> ids, long admittedAt,
        CancellationToken cancellationToken) =>
        EnqueueAsync<TaskPrediction[]>(new ClassifierRunner(classifier), ids, admittedAt, cancellationToken);

    /// <summary>Admits the texts' tokens, then queues them; the job's own task is returned when admitted at once, so that
    /// a request answered by the worker is complete when its job is.</summary>
    private Task<T[]> EnqueueAsync<T>(IBatchRunner runner, IReadOnlyList<int[]> ids, long admittedAt, CancellationToken cancellationToken)
    {
        var admitted = admission.AdmitWorkAsync(ids.Sum(sequence => sequence.Length), admittedAt, cancellationToken);
        return admitted.IsCompletedSuccessfully
            ? Enqueue<T>(admitted.Result, runner, ids, cancellationToken)
            : EnqueueWhenAdmittedAsync<T>(admitted, runner, ids, cancellationToken);
    }

    private async Task<T[]> EnqueueWhenAdmittedAsync<T>(Task<IDisposable> admitted, IBatchRunner runner, IReadOnlyList<int[]> ids,
        CancellationToken cancellationToken) =>
        await Enqueue<T>(await admitted, runner, ids, cancellationToken);

    private Task<T[]> Enqueue<T>(IDisposable budget, IBatchRunner runner, IReadOnlyList<int[]> ids, CancellationToken cancellationToken)
    {
        var job = new QueuedWork<T>(ids, runner, budget, cancellationToken);
        if (!channel.Writer.TryWrite(job))
        {
            budget.Dispose();
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

        // The worker holds its thread for a whole batch: a thread of its own, not one of the thread pool's, which
        // starts with one per core and which every request's continuations need (2 cores: a blocked pool thread is
        // half of them).
        await Task.Factory.StartNew(Work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>The worker's loop. Not stopped by the stopping token: once the writer is completed it still empties
    /// the queue, then ends.</summary>
    private void Work()
    {
        // Blocking waits are right on this dedicated thread; the awaited channel reads complete on the pool.
        while (NextBatchAsync().GetAwaiter().GetResult() is { Count: > 0 } batch)
        {
            Run(batch);
            active.RemoveAll(job => job.IsCompleted);
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
    /// The next batch: takes every queued request (when there were none, waits for one, then up to
    /// <see cref="ServerOptions.MaxBatchWait"/> for more), drops cancelled ones, and picks chunks by shortest
    /// remaining work. An empty list means the queue is closed and empty.
    /// </summary>
    private async Task<List<BatchChunk>> NextBatchAsync()
    {
        while (true)
        {
            if (active.Count == 0)
            {
                if (!await channel.Reader.WaitToReadAsync())
                {
                    return [];
                }

                long deadline = Stopwatch.GetTimestamp() + (long)(options.MaxBatchWait.TotalSeconds * Stopwatch.Frequency);
                Drain();
                while (Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline) is { Ticks: > 0 } remaining
                       && await WaitForMoreAsync(channel.Reader, remaining))
                {
                    Drain();
                }
            }

            Drain();
            foreach (var job in active.Where(job => job.CancellationToken.IsCancellationRequested))
            {
                job.Cancel();
            }

            active.RemoveAll(job => job.IsCompleted);
            if (active.Count > 0)
            {
                return Pick();
            }
        }
    }

    private void Drain()
    {
        while (channel.Reader.TryRead(out var job))
        {
            active.Add(job);
        }
    }

    /// <summary>Chunks of the requests with the least work left that share the first one's runner, within the batch budget.</summary>
    private List<BatchChunk> Pick()
    {
        var chunks = new List<BatchChunk>();
        long budget = options.MaxBatchTokens;
        var runner = active.MinBy(job => (job.RemainingTokens, job.EnqueuedAt))!.Runner;
        foreach (var job in active.Where(job => Equals(job.Runner, runner)).OrderBy(job => job.RemainingTokens).ThenBy(job => job.EnqueuedAt))
        {
            int start = job.Scheduled;
            if (start == job.Ids.Count)
            {
                continue;
            }

            int count = job.Take(budget, atLeastOne: chunks.Count == 0, out long taken);
            if (count == 0)
            {
                break;
            }

            if (start == 0)
            {
                metrics.Queued(Stopwatch.GetElapsedTime(job.EnqueuedAt));
            }

            chunks.Add(new BatchChunk(job, start, count));
            budget -= taken;
        }

        return chunks;
    }

    /// <summary>Whether a request arrives within <paramref name="timeout"/>.</summary>
    private static async Task<bool> WaitForMoreAsync(ChannelReader<QueuedWork> reader, TimeSpan timeout)
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

    /// <summary>Runs one batch (one runner call) and delivers each chunk's slice of the results.</summary>
    private void Run(List<BatchChunk> batch)
    {
        var ids = batch.SelectMany(chunk => chunk.Job.Ids.Skip(chunk.Start).Take(chunk.Count)).ToList();
        metrics.Batch(ids.Count, batch.Count);
        using var cancellation = new BatchCancellation(batch.Select(chunk => chunk.Job.CancellationToken).ToList());
        try
        {
            var results = batch[0].Job.Runner.Run(ids, cancellation.Token);
            int offset = 0;
            foreach (var chunk in batch)
            {
                chunk.Job.Deliver(results, offset, chunk.Start, chunk.Count);
                offset += chunk.Count;
            }
        }
        catch (OperationCanceledException) when (cancellation.Token.IsCancellationRequested)
        {
            logger.LogInformation("A batch of {Texts} texts stopped: every client of it had left.", ids.Count);
            batch.ForEach(chunk => chunk.Job.Cancel());
        }
        catch (Exception e)
        {
            logger.LogError(e, "A batch of {Texts} texts failed.", ids.Count);
            batch.ForEach(chunk => chunk.Job.Fail(e));
        }
    }

    /// <summary>Texts <paramref name="Start"/> to <paramref name="Start"/> + <paramref name="Count"/> of a job, in a batch.</summary>
    private sealed record BatchChunk(QueuedWork Job, int Start, int Count);
}
