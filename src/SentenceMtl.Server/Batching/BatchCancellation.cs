namespace SentenceMtl.Server.Batching;

/// <summary>
/// A token cancelled once every one of a batch's requests is cancelled (all their clients left): a running batch then
/// stops at the encoder's next check, instead of computing answers nobody will read. A request that cannot be
/// cancelled keeps the batch running.
/// </summary>
internal sealed class BatchCancellation : IDisposable
{
    private readonly CancellationTokenSource source = new();
    private readonly List<CancellationTokenRegistration> registrations = [];
    private int remaining;

    /// <summary>Watches <paramref name="tokens"/> (one per request of the batch).</summary>
    public BatchCancellation(IReadOnlyCollection<CancellationToken> tokens)
    {
        remaining = tokens.Count;
        foreach (var token in tokens)
        {
            // Register runs the callback at once for a token already cancelled.
            registrations.Add(token.Register(() =>
            {
                if (Interlocked.Decrement(ref remaining) == 0)
                {
                    source.Cancel();
                }
            }));
        }
    }

    /// <summary>Cancelled when every request is.</summary>
    public CancellationToken Token => source.Token;

    /// <summary>Stops watching (waiting for a callback running on another thread), then frees the source.</summary>
    public void Dispose()
    {
        foreach (var registration in registrations)
        {
            registration.Dispose();
        }

        source.Dispose();
    }
}
