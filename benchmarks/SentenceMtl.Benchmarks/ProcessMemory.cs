namespace SentenceMtl.Benchmarks;

/// <summary>This process's resident memory, from <c>/proc/self/status</c> (Linux).</summary>
internal static class ProcessMemory
{
    /// <summary>Peak resident set size so far (VmHWM), in bytes.</summary>
    public static long PeakRss => Read("VmHWM:");

    /// <summary>Current resident set size (VmRSS), in bytes.</summary>
    public static long Rss => Read("VmRSS:");

    /// <summary>Whether a shared object whose name contains <paramref name="name"/> is mapped into this process.</summary>
    public static bool IsMapped(string name) =>
        File.Exists("/proc/self/maps") && File.ReadLines("/proc/self/maps").Any(l => l.Contains(name, StringComparison.Ordinal));

    /// <summary>Bytes as MiB, for tables.</summary>
    public static string Mib(long bytes) => bytes < 0 ? "n/a" : $"{bytes / (1024.0 * 1024.0):F0}";

    private static long Read(string key)
    {
        if (!File.Exists("/proc/self/status"))
        {
            return -1;
        }

        string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
        if (line is null)
        {
            return -1;
        }

        // "VmHWM:	  123456 kB"
        string kilobytes = line[key.Length..].Trim().Split(' ')[0];
        return long.Parse(kilobytes, System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}
