using System.Runtime.InteropServices;

namespace SentenceMtl.Native;

/// <summary>
/// Makes libtorch's OpenMP threads sleep at a barrier instead of spinning (<c>OMP_WAIT_POLICY=PASSIVE</c>), unless the
/// user chose a policy or spin count: set in the process environment before libtorch (and its libgomp, which reads it
/// once when it loads) is loaded.
/// </summary>
/// <remarks>
/// libgomp's default lets a thread that reaches a barrier first spin for up to 300,000 iterations. When another process
/// holds a core, the thread it waits for is descheduled and the spin burns the time that thread needed: one
/// contrastive step (2 threads, ≈ 20 other runnable threads on 2 cores) took 11.3 s and 5.6 CPU-s with the default
/// policy, 2.6 s and 1.3 CPU-s with <c>PASSIVE</c>, 2.5 s and 1.2 CPU-s on one thread (docs/performance.md).
/// Linux only (glibc's <c>setenv</c>); elsewhere nothing changes.
/// </remarks>
internal static class OpenMpWaitPolicy
{
    /// <summary>The variables a user sets to choose libgomp's waiting; any of them present leaves the environment alone.</summary>
    private static readonly string[] UserChoices = ["OMP_WAIT_POLICY", "GOMP_SPINCOUNT"];

    /// <summary>Sets <c>OMP_WAIT_POLICY=PASSIVE</c> in the native environment when no choice was made.</summary>
    /// <returns>What was done, for the load log.</returns>
    public static string Apply()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "OpenMP wait policy: left to the runtime (not Linux).";
        }

        if (UserChoices.FirstOrDefault(v => Environment.GetEnvironmentVariable(v) is not null) is { } chosen)
        {
            return $"OpenMP wait policy: {chosen} set by the user, left alone.";
        }

        return SetEnv("OMP_WAIT_POLICY", "PASSIVE", 0) == 0
            ? "OpenMP wait policy: PASSIVE (threads sleep at barriers instead of spinning)."
            : "OpenMP wait policy: setenv failed, left to the runtime.";
    }

    [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int SetEnv(string name, string value, int overwrite);
}
