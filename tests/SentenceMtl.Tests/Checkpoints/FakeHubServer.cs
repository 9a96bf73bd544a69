using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace SentenceMtl.Tests.Checkpoints;

/// <summary>
/// A stand-in for the Hugging Face hub on 127.0.0.1, speaking just enough HTTP/1.1 (one request per connection).
/// <c>/{org}/{name}/resolve/{revision}/{file}</c> answers like the hub: <c>X-Repo-Commit</c>, <c>ETag</c> = git blob
/// SHA-1; LFS files (<c>.safetensors</c>, <c>.bin</c>) 302 to a "CDN" on <c>localhost</c> (another host name) with
/// <c>X-Linked-Etag</c> = SHA-256 and <c>X-Linked-Size</c>; 404s carry <c>X-Error-Code</c>. Range requests are honoured
/// and faults can be injected. Every request is logged.
/// </summary>
internal sealed class FakeHubServer : IDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly ConcurrentDictionary<string, FakeRepo> repos = new(StringComparer.Ordinal);

    public FakeHubServer()
    {
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _ = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    public Uri Endpoint => new($"http://127.0.0.1:{Port}");

    /// <summary>Every request received, in order.</summary>
    public ConcurrentQueue<LoggedRequest> Requests { get; } = new();

    /// <summary>Old repository id → new one: answered with a relative 307, as the hub does for renamed repositories.</summary>
    public ConcurrentDictionary<string, string> Renamed { get; } = new(StringComparer.Ordinal);

    /// <summary>File path → bytes: the next body of that file stops after that many bytes and the connection is closed.</summary>
    public ConcurrentDictionary<string, int> DropOnce { get; } = new(StringComparer.Ordinal);

    /// <summary>File paths whose next body has its first byte flipped (same size, wrong content).</summary>
    public ConcurrentDictionary<string, bool> CorruptOnce { get; } = new(StringComparer.Ordinal);

    /// <summary>File path → the size HEAD announces instead of the real one.</summary>
    public ConcurrentDictionary<string, long> AnnouncedSize { get; } = new(StringComparer.Ordinal);

    /// <summary>Files whose GET body has no Content-Length and, after the content, streams zeros until the client hangs up (at most 256 MiB).</summary>
    public ConcurrentDictionary<string, bool> Endless { get; } = new(StringComparer.Ordinal);

    /// <summary>LFS files whose HEAD answer announces no size (no X-Linked-Size).</summary>
    public ConcurrentDictionary<string, bool> UnknownSize { get; } = new(StringComparer.Ordinal);

    /// <summary>Files whose GET body is sent 1 KiB at a time with this many milliseconds between pieces.</summary>
    public ConcurrentDictionary<string, int> TrickleDelayMs { get; } = new(StringComparer.Ordinal);

    /// <summary>Body bytes written to clients so far.</summary>
    public long BodyBytesSent => Interlocked.Read(ref bodyBytesSent);

    private long bodyBytesSent;

    public FakeRepo AddRepo(string repoId, string? requiredToken = null) => repos[repoId] = new FakeRepo(repoId, requiredToken);

    public IEnumerable<LoggedRequest> Gets => Requests.Where(r => r.Method == "GET");

    public IEnumerable<LoggedRequest> Heads => Requests.Where(r => r.Method == "HEAD");

    /// <summary>Stops listening: later connections are refused, as with the network down. Safe to call twice.</summary>
    public void Dispose()
    {
        if (!stop.IsCancellationRequested)
        {
            stop.Cancel();
            listener.Stop();
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using (client)
                {
                    try
                    {
                        await HandleAsync(client.GetStream());
                    }
                    catch (Exception ex) when (ex is IOException or OperationCanceledException)
                    {
                        // The client went away.
                    }
                }
            });
        }
    }

    private async Task HandleAsync(NetworkStream stream)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 4 || head[^4] != '\r' || head[^3] != '\n' || head[^2] != '\r' || head[^1] != '\n')
        {
            if (await stream.ReadAsync(one) == 0)
            {
                return;
            }

            head.Add(one[0]);
        }

        string[] lines = System.Text.Encoding.ASCII.GetString([.. head]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        string[] requestLine = lines[0].Split(' ');
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        var request = new LoggedRequest(requestLine[0], requestLine[1], headers);
        Requests.Enqueue(request);
        var response = Route(request);
        await WriteAsync(stream, request, response);
    }

    private Response Route(LoggedRequest request)
    {
        string[] segments = request.Target.TrimStart('/').Split('/');
        if (segments is ["cdn", var sha])
        {
            var blob = repos.Values.SelectMany(r => r.Commits.Values).SelectMany(c => c)
                .FirstOrDefault(f => FakeRepo.Sha256(f.Value) == sha);
            return blob.Value is null ? new Response(404) : Body(request, blob.Key, blob.Value);
        }

        if (segments.Length < 5 || segments[2] != "resolve")
        {
            return new Response(404);
        }

        string repoId = $"{segments[0]}/{segments[1]}";
        string revision = Uri.UnescapeDataString(segments[3]);
        string file = string.Join('/', segments.Skip(4).Select(Uri.UnescapeDataString));
        if (Renamed.TryGetValue(repoId, out string? newId))
        {
            return new Response(307) { Headers = { ["Location"] = $"/{newId}/resolve/{segments[3]}/{string.Join('/', segments.Skip(4))}" } };
        }

        if (!repos.TryGetValue(repoId, out var repo))
        {
            return new Response(404) { Headers = { ["X-Error-Code"] = "RepoNotFound" } };
        }

        if (repo.RequiredToken is { } token && request.Header("Authorization") != $"Bearer {token}")
        {
            return new Response(401) { Headers = { ["X-Error-Code"] = "GatedRepo" } };
        }

        string? commit = repo.Refs.TryGetValue(revision, out string? c) ? c : repo.Commits.ContainsKey(revision) ? revision : null;
        if (commit is null)
        {
            return new Response(404) { Headers = { ["X-Error-Code"] = "RevisionNotFound" } };
        }

        if (!repo.Commits[commit].TryGetValue(file, out byte[]? content))
        {
            return new Response(404) { Headers = { ["X-Error-Code"] = "EntryNotFound", ["X-Repo-Commit"] = commit } };
        }

        long announced = AnnouncedSize.TryGetValue(file, out long size) ? size : content.Length;
        if (file.EndsWith(".safetensors", StringComparison.Ordinal) || file.EndsWith(".bin", StringComparison.Ordinal))
        {
            string lfsSha = FakeRepo.Sha256(content);
            var redirect = new Response(302)
            {
                Headers =
                {
                    ["Location"] = $"http://localhost:{Port}/cdn/{lfsSha}",
                    ["X-Repo-Commit"] = commit,
                    ["X-Linked-Etag"] = $"\"{lfsSha}\"",
                    ["ETag"] = $"\"{FakeRepo.GitBlobSha1(System.Text.Encoding.UTF8.GetBytes($"version https://git-lfs.github.com/spec/v1\noid sha256:{lfsSha}\n"))}\"",
                },
            };
            if (!UnknownSize.ContainsKey(file))
            {
                redirect.Headers["X-Linked-Size"] = announced.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return redirect;
        }

        var response = Body(request, file, content);
        response.Headers["X-Repo-Commit"] = commit;
        response.Headers["ETag"] = $"\"{FakeRepo.GitBlobSha1(content)}\"";
        if (request.Method == "HEAD")
        {
            response.Headers["Content-Length"] = announced.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return response;
    }

    private Response Body(LoggedRequest request, string file, byte[] content)
    {
        int? drop = request.Method == "GET" && DropOnce.TryRemove(file, out int d) ? d : null;
        if (request.Method == "GET" && CorruptOnce.TryRemove(file, out _))
        {
            content = [(byte)(content[0] ^ 0xFF), .. content[1..]];
        }

        if (request.Header("Range") is { } range && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
        {
            int from = int.Parse(range[6..^1], System.Globalization.CultureInfo.InvariantCulture);
            if (from >= content.Length)
            {
                return new Response(416) { Headers = { ["Content-Range"] = $"bytes */{content.Length}" } };
            }

            return new Response(206, content[from..], drop) { Headers = { ["Content-Range"] = $"bytes {from}-{content.Length - 1}/{content.Length}" } };
        }

        return new Response(200, content, drop)
        {
            Endless = request.Method == "GET" && Endless.ContainsKey(file),
            TrickleDelayMs = request.Method == "GET" && TrickleDelayMs.TryGetValue(file, out int delay) ? delay : null,
        };
    }

    private async Task WriteAsync(NetworkStream stream, LoggedRequest request, Response response)
    {
        byte[] body = response.Body ?? [];
        if (!response.Endless)
        {
            response.Headers.TryAdd("Content-Length", body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        response.Headers["Connection"] = "close";
        string head = $"HTTP/1.1 {response.Status} {(HttpStatusCode)response.Status}\r\n"
            + string.Concat(response.Headers.Select(h => $"{h.Key}: {h.Value}\r\n")) + "\r\n";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head));
        if (request.Method != "HEAD")
        {
            var content = body.AsMemory(0, Math.Min(body.Length, response.DropAfter ?? body.Length));
            for (int at = 0; at < content.Length; at += response.TrickleDelayMs is null ? content.Length : 1024)
            {
                var piece = content[at..Math.Min(content.Length, at + (response.TrickleDelayMs is null ? content.Length : 1024))];
                await stream.WriteAsync(piece, stop.Token);
                Interlocked.Add(ref bodyBytesSent, piece.Length);
                if (response.TrickleDelayMs is { } delay)
                {
                    await stream.FlushAsync(stop.Token);
                    await Task.Delay(delay, stop.Token);
                }
            }

            var zeros = new byte[1 << 16];
            for (long sent = 0; response.Endless && sent < 256L << 20; sent += zeros.Length)
            {
                await stream.WriteAsync(zeros, stop.Token);                                     // ends when the client hangs up
                Interlocked.Add(ref bodyBytesSent, zeros.Length);
            }
        }

        await stream.FlushAsync();
    }

    private sealed record Response(int Status, byte[]? Body = null, int? DropAfter = null)
    {
        public bool Endless { get; init; }

        public int? TrickleDelayMs { get; init; }

        public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);
    }
}

/// <summary>One request as the fake hub saw it.</summary>
internal sealed record LoggedRequest(string Method, string Target, IReadOnlyDictionary<string, string> Headers)
{
    public string? Header(string name) => Headers.TryGetValue(name, out string? value) ? value : null;

    public override string ToString() => $"{Method} {Target}";
}

/// <summary>A repository of the fake hub: commits (file path → bytes) and refs (branch or tag → commit).</summary>
internal sealed class FakeRepo(string id, string? requiredToken)
{
    public string Id { get; } = id;

    public string? RequiredToken { get; } = requiredToken;

    public ConcurrentDictionary<string, Dictionary<string, byte[]>> Commits { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, string> Refs { get; } = new(StringComparer.Ordinal);

    /// <summary>Adds a commit holding <paramref name="files"/> and points <paramref name="refs"/> (default main) at it.</summary>
    public string Commit(Dictionary<string, byte[]> files, params string[] refs)
    {
        string commit = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
        Commits[commit] = new Dictionary<string, byte[]>(files, StringComparer.Ordinal);
        foreach (string r in refs.Length == 0 ? ["main"] : refs)
        {
            Refs[r] = commit;
        }

        return commit;
    }

    public static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    public static string GitBlobSha1(byte[] content) =>
        Convert.ToHexStringLower(SHA1.HashData([.. System.Text.Encoding.ASCII.GetBytes($"blob {content.Length}\0"), .. content]));
}
