using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SentenceMtl.Server.Tests.Load;

/// <summary>
/// SentenceMtl.Server in a process of its own on 127.0.0.1, as users run it (<c>dotnet SentenceMtl.Server.dll</c>): the
/// build beside the tests, or the one <c>SENTENCEMTL_LOAD_SERVER</c> names (e.g. a Release build), with the settings
/// <c>SENTENCEMTL_LOAD_SERVER_ARGS</c> adds. Its memory is read
/// from <c>/proc</c>; disposing kills it.
/// </summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private ServerProcess(Process process, Uri address)
    {
        this.process = process;
        Address = address;
    }

    /// <summary>The server's process id.</summary>
    public int Pid => process.Id;

    /// <summary>The server's address.</summary>
    public Uri Address { get; }

    /// <summary>What the server wrote so far (its log).</summary>
    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>The server's resident memory now (<c>VmRSS</c>), in bytes.</summary>
    public long Rss => Status("VmRSS:");

    /// <summary>The server's peak resident memory so far (<c>VmHWM</c>), in bytes.</summary>
    public long PeakRss => Status("VmHWM:");

    /// <summary>CPU seconds the server has used (user + system).</summary>
    public double CpuSeconds
    {
        get
        {
            string stat = File.ReadAllText($"/proc/{process.Id}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // Fields 14 and 15 (utime, stime) in clock ticks of 1/100 s; the split starts at field 3.
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
        }
    }

    /// <summary>Whether the process has ended, and its exit code then.</summary>
    public bool HasExited => process.HasExited;

    /// <summary>Starts the server with <paramref name="arguments"/> on a free loopback port (or <paramref name="port"/>).</summary>
    public static ServerProcess Start(IEnumerable<string> arguments, int port = 0)
    {
        string dll = Environment.GetEnvironmentVariable("SENTENCEMTL_LOAD_SERVER") is { Length: > 0 } configured
            ? configured
            : Path.Combine(AppContext.BaseDirectory, "SentenceMtl.Server.dll");
        port = port == 0 ? FreePort() : port;
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // SENTENCEMTL_LOAD_SERVER_ARGS: more settings for a measurement, e.g. "--SentenceMtl:MaxBatchTokens 2048".
        var extra = (Environment.GetEnvironmentVariable("SENTENCEMTL_LOAD_SERVER_ARGS") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        foreach (string argument in new[] { dll, "--urls", $"http://127.0.0.1:{port}" }.Concat(arguments).Concat(extra))
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        var process = Process.Start(info)!;
        var server = new ServerProcess(process, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>Waits (at most two minutes) for <c>/health</c> to answer 200.</summary>
    public async Task WaitUntilReadyAsync()
    {
        using var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            Assert.False(process.HasExited, "The server exited: " + Output);
            Assert.True(DateTime.UtcNow < deadline, "The server was not ready within two minutes: " + Output);
            try
            {
                if ((await client.GetAsync("/health")).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Ends the process at once (SIGKILL), as a crash or an OOM kill would.</summary>
    public void Kill()
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!process.HasExited)
        {
            Kill();
        }

        process.Dispose();
    }

    private long Status(string key) => File.ReadLines($"/proc/{process.Id}/status")
        .Where(line => line.StartsWith(key, StringComparison.Ordinal))
        .Select(line => long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024)
        .Single();

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
