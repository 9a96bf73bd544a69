namespace SentenceMtl;

/// <summary>
/// Keeps native memory alive while a call uses it: calls that read the model (encoding, prediction, saving) hold a
/// shared lease; calls that free or invalidate memory those readers may hold raw pointers into (disposing, changing
/// which parameters are frozen — frozen layers are what the inference kernels pack — and training) hold the exclusive
/// one, so they wait for the readers in flight and readers wait for them. One instance guards an encoder and the
/// multi-task model built on it.
/// </summary>
/// <remarks>
/// Leases are re-entrant on one thread (a prediction encodes; training encodes, predicts and changes freezing), and a
/// thread that holds the exclusive lease may take the shared one. A thread holding only the shared lease cannot take
/// the exclusive one (that would wait for itself): it gets an <see cref="InvalidOperationException"/>. Once disposed,
/// every lease throws <see cref="ObjectDisposedException"/>. The lock is never disposed: a call that races with
/// <see cref="SentenceEncoder.Dispose"/> still finds it and gets the <see cref="ObjectDisposedException"/>.
/// </remarks>
internal sealed class EncoderLifetime
{
    private readonly ReaderWriterLockSlim gate = new(LockRecursionPolicy.SupportsRecursion);
    private readonly string owner;
    private volatile bool disposed;

    /// <param name="owner">The type named in <see cref="ObjectDisposedException"/>.</param>
    public EncoderLifetime(string owner) => this.owner = owner;

    /// <summary>Whether <see cref="EndOnce"/> ran.</summary>
    public bool IsDisposed => disposed;

    /// <summary>A shared lease: the model's memory stays alive until it is disposed.</summary>
    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    /// <param name="caller">The type named in the exception (default: the owner given to the constructor).</param>
    public Lease Share(string? caller = null)
    {
        gate.EnterReadLock();
        return Checked(exclusive: false, caller);
    }

    /// <summary>The exclusive lease, after every call in flight on other threads has finished.</summary>
    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    /// <exception cref="InvalidOperationException">This thread holds only a shared lease (inside an encoding or prediction).</exception>
    /// <param name="caller">The type named in the exceptions (default: the owner given to the constructor).</param>
    public Lease Exclusive(string? caller = null)
    {
        Enter(caller);
        return Checked(exclusive: true, caller);
    }

    /// <summary>Runs <paramref name="release"/> once, exclusively, and marks the model disposed; later calls do nothing.</summary>
    public void EndOnce(Action release) => Exclusively(() =>
    {
        if (!disposed)
        {
            disposed = true;
            release();
        }
    });

    /// <summary>Runs <paramref name="action"/> holding the exclusive lease, also when the model is already disposed.</summary>
    public void Exclusively(Action action)
    {
        Enter(null);
        try
        {
            action();
        }
        finally
        {
            gate.ExitWriteLock();
        }
    }

    private void Enter(string? caller)
    {
        if (gate.IsReadLockHeld && !gate.IsWriteLockHeld)
        {
            throw new InvalidOperationException(
                $"The {caller ?? owner} cannot be disposed, trained or re-frozen from inside a call that is using it (a progress callback or an embedding consumer, say); do it after that call returns.");
        }

        gate.EnterWriteLock();
    }

    private Lease Checked(bool exclusive, string? caller)
    {
        if (disposed)
        {
            Exit(exclusive);
            throw new ObjectDisposedException(caller ?? owner);
        }

        return new Lease(this, exclusive);
    }

    private void Exit(bool exclusive)
    {
        if (exclusive)
        {
            gate.ExitWriteLock();
        }
        else
        {
            gate.ExitReadLock();
        }
    }

    /// <summary>Held for the duration of a call; dispose on the thread that took it.</summary>
    public readonly struct Lease(EncoderLifetime lifetime, bool exclusive) : IDisposable
    {
        /// <summary>Releases the lease.</summary>
        public void Dispose() => lifetime.Exit(exclusive);
    }
}
