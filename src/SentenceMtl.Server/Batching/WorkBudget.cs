namespace SentenceMtl.Server.Batching;

/// <summary>
/// A budget of work units (bytes or tokens) shared by the requests in flight: a request takes its amount and gives it
/// back when done. Amounts are granted first-fit: a waiting request that fits in what is free gets it at once, even
/// behind a larger one that does not. The last <see cref="Reserve"/> units are kept for amounts no larger than the
/// reserve: without it, large requests that fill the budget exactly (four 8 MiB bodies in 32 MiB) would hold every
/// small request at the door until one of them ends.
/// </summary>
internal sealed class WorkBudget
{
    private readonly Lock gate = new();
    private readonly LinkedList<Waiter> waiters = new();
    private long available;

    /// <summary>A budget of <paramref name="capacity"/> units, of which an eighth (but no more than what is left
    /// beside the <paramref name="largest"/> amount a request may take) is kept for small amounts.</summary>
    public WorkBudget(long capacity, long largest)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(largest, capacity);
        Capacity = capacity;
        available = capacity;
        Reserve = Math.Min(capacity / 8, capacity - largest);
    }

    /// <summary>The whole budget.</summary>
    public long Capacity { get; }

    /// <summary>The units only amounts no larger than this may take.</summary>
    public long Reserve { get; }

    /// <summary>How much is taken now.</summary>
    public long InUse
    {
        get
        {
            lock (gate)
            {
                return Capacity - available;
            }
        }
    }

    /// <summary>Takes <paramref name="amount"/>, waiting at most <paramref name="timeout"/> for it to be free.</summary>
    /// <returns>The lease (dispose it to give the amount back), or null when it was not free in time.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="amount"/> is not from 1 to <see cref="Capacity"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled meanwhile.</exception>
    public async Task<IDisposable?> TryTakeAsync(long amount, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(amount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(amount, Capacity);
        cancellationToken.ThrowIfCancellationRequested();
        var waiter = new Waiter(amount);
        LinkedListNode<Waiter> node;
        lock (gate)
        {
            if (Fits(amount))
            {
                available -= amount;
                return new Lease(this, amount);
            }

            node = waiters.AddLast(waiter);
        }

        try
        {
            await waiter.Granted.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return new Lease(this, amount);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            lock (gate)
            {
                // Granted meanwhile (under the lock, so either granted or still listed): give it back.
                if (node.List is null)
                {
                    available += amount;
                    GrantWaiting();
                }
                else
                {
                    waiters.Remove(node);
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
            return null;
        }
    }

    private void Give(long amount)
    {
        lock (gate)
        {
            available += amount;
            GrantWaiting();
        }
    }

    /// <summary>Grants, in arrival order, every waiter that fits in what is free (called under the lock).</summary>
    private void GrantWaiting()
    {
        for (var node = waiters.First; node is not null && available > 0;)
        {
            var next = node.Next;
            if (Fits(node.Value.Amount))
            {
                available -= node.Value.Amount;
                waiters.Remove(node);
                node.Value.Granted.TrySetResult();
            }

            node = next;
        }
    }

    /// <summary>Whether <paramref name="amount"/> may be taken now (called under the lock).</summary>
    private bool Fits(long amount) => amount <= available && (amount <= Reserve || available - amount >= Reserve);

    private sealed class Waiter(long amount)
    {
        public long Amount { get; } = amount;

        public TaskCompletionSource Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Gives its amount back once, on the first <see cref="Dispose"/>.</summary>
    private sealed class Lease(WorkBudget budget, long amount) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                budget.Give(amount);
            }
        }
    }
}
