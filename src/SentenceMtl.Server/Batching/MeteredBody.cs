namespace SentenceMtl.Server.Batching;

/// <summary>
/// A request body of unknown length (chunked), read through <see cref="Admission"/>: before more bytes than are reserved
/// are handed on, more is reserved (at least <see cref="Admission.ChunkedStep"/>, waiting within the admission timeout,
/// 503 past it). Bytes past the largest body allowed are not reserved: Kestrel stops that body with 413.
/// </summary>
internal sealed class MeteredBody(Stream inner, Admission admission, HttpContext context, long reserved) : Stream
{
    private readonly long limit = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<ServerOptions>>()
        .Value.MaxRequestBodyBytes;

    private long read;

    /// <inheritdoc />
    public override bool CanRead => true;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => false;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Position { get => read; set => throw new NotSupportedException(); }

    /// <inheritdoc />
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int count = await inner.ReadAsync(buffer, cancellationToken);
        read += count;
        if (read > reserved && reserved < limit)
        {
            long more = Math.Min(Math.Max(read - reserved, Admission.ChunkedStep), limit - reserved);
            await admission.ReserveBodyAsync(context, more);
            reserved += more;
        }

        return count;
    }

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    /// <inheritdoc />
    public override void Flush()
    {
    }

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
