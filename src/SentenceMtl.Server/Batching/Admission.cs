using System.Diagnostics;
using Microsoft.Extensions.Options;
using SentenceMtl.Server.Endpoints;

namespace SentenceMtl.Server.Batching;

/// <summary>
/// Bounds the work in flight in total, as text-embeddings-inference does with <c>max_concurrent_requests</c> and
/// <c>max_batch_tokens</c>: at most <see cref="ServerOptions.MaxConcurrentRequests"/> requests (more get 429 at once),
/// their bodies at most <see cref="ServerOptions.MaxBufferedBodyBytes"/> in total (reserved before a body is read, held
/// until its response is sent: the body, its strings and its answer are what a request keeps in memory), and the
/// texts queued or being run at most <see cref="ServerOptions.MaxQueuedTokens"/> tokens. A request that does not fit
/// waits up to <see cref="ServerOptions.AdmissionTimeout"/> (in all), then gets 503 with <c>Retry-After</c>; so memory
/// and queueing time are bounded whatever the clients send.
/// </summary>
internal sealed class Admission(IOptions<ServerOptions> options)
{
    /// <summary>The <c>Retry-After</c> of a busy answer: the budget frees as batches finish, within seconds.</summary>
    private const int RetryAfterSeconds = 1;

    private readonly ServerOptions settings = options.Value;
    private readonly WorkBudget bodies = new(options.Value.MaxBufferedBodyBytes, options.Value.MaxRequestBodyBytes);
    private readonly WorkBudget tokens = new(options.Value.MaxQueuedTokens, options.Value.MaxRequestTokens);
    private int requests;

    /// <summary>Bytes of request bodies reserved now.</summary>
    public long BufferedBodyBytes => bodies.InUse;

    /// <summary>Tokens queued or running now.</summary>
    public long QueuedTokens => tokens.InUse;

    /// <summary>
    /// Admits a request before its body is read: counts it and reserves its body's size, both given back when its
    /// response is done. A body of unknown length (chunked) reserves <see cref="ChunkedStep"/> at first and more as it
    /// arrives (<see cref="MeteredBody"/>), so that it is not charged the largest body allowed.
    /// </summary>
    /// <exception cref="ApiException">429: too many requests; 503: the body budget stayed spent for the admission timeout.</exception>
    public async Task AdmitRequestAsync(HttpContext context)
    {
        if (Interlocked.Increment(ref requests) > settings.MaxConcurrentRequests)
        {
            Interlocked.Decrement(ref requests);
            throw new ApiException(StatusCodes.Status429TooManyRequests,
                $"The server is handling {settings.MaxConcurrentRequests} requests (SentenceMtl:MaxConcurrentRequests); retry shortly.",
                null, "server_overloaded", "server_error", RetryAfterSeconds);
        }

        context.Response.RegisterForDispose(new Counted(this));
        context.Items[typeof(Admission)] = Stopwatch.GetTimestamp();
        long? length = context.Request.ContentLength;
        long size = Math.Clamp(length ?? ChunkedStep, 1, settings.MaxRequestBodyBytes);
        await ReserveBodyAsync(context, size);
        if (length is null)
        {
            context.Request.Body = new MeteredBody(context.Request.Body, this, context, size);
        }
    }

    /// <summary>What a body of unknown length reserves at first, and at least each time it needs more.</summary>
    internal const long ChunkedStep = 64 * 1024;

    /// <summary>Reserves <paramref name="bytes"/> more for <paramref name="context"/>'s body (at most what the largest
    /// body allows in all), until its response is done; waits at most what remains of the admission timeout.</summary>
    /// <exception cref="ApiException">503: the body budget stayed spent.</exception>
    internal async Task ReserveBodyAsync(HttpContext context, long bytes)
    {
        var lease = await bodies.TryTakeAsync(bytes, Remaining(AdmittedAt(context)), context.RequestAborted)
            ?? throw Busy($"bodies of {bodies.Capacity} bytes in total are being read or answered (SentenceMtl:MaxBufferedBodyBytes)");
        context.Response.RegisterForDispose(lease);
    }

    /// <summary>Reserves <paramref name="count"/> tokens of queued work, until the returned lease is disposed.</summary>
    /// <param name="count">The request's tokens (at most <see cref="ServerOptions.MaxRequestTokens"/>).</param>
    /// <param name="admittedAt">When the request was admitted (<see cref="Stopwatch.GetTimestamp"/>), or 0: the wait for
    /// tokens is what remains of the admission timeout.</param>
    /// <param name="cancellationToken">The request's cancellation.</param>
    /// <exception cref="ApiException">503: the token budget stayed spent for the admission timeout.</exception>
    public async Task<IDisposable> AdmitWorkAsync(int count, long admittedAt, CancellationToken cancellationToken)
    {
        return await tokens.TryTakeAsync(Math.Max(count, 1), Remaining(admittedAt), cancellationToken)
            ?? throw Busy($"texts of {tokens.Capacity} tokens in total are queued (SentenceMtl:MaxQueuedTokens)");
    }

    /// <summary>What remains of the admission timeout for a request admitted at <paramref name="admittedAt"/> (0: all of it).</summary>
    private TimeSpan Remaining(long admittedAt)
    {
        var remaining = settings.AdmissionTimeout - (admittedAt == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(admittedAt));
        return remaining < TimeSpan.Zero ? TimeSpan.Zero : remaining;
    }

    /// <summary>When <paramref name="context"/>'s request was admitted, or 0.</summary>
    public static long AdmittedAt(HttpContext context) => context.Items[typeof(Admission)] is long at ? at : 0;

    private ApiException Busy(string what) => ApiException.Busy(
        $"The server is busy: {what}, and none was freed within {settings.AdmissionTimeout.TotalSeconds:0.###} s " +
        "(SentenceMtl:AdmissionTimeout); retry after the Retry-After seconds, or send a smaller request.", RetryAfterSeconds);

    private sealed class Counted(Admission admission) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref admission.requests);
    }
}
