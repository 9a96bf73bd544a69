using System.Runtime.InteropServices;
using SentenceMtl.Native;

namespace SentenceMtl.Tests.Native;

public sealed class OpenMpWaitPolicyTests
{
    [Fact]
    public void Loading_libtorch_makes_its_threads_sleep_at_barriers_unless_the_user_chose()
    {
        string result = TorchSharpNative.EnsureLoadable();
        if (!OperatingSystem.IsLinux())
        {
            Assert.Contains("not Linux", OpenMpWaitPolicy.Apply(), StringComparison.Ordinal);
            return;
        }

        string? userPolicy = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY");                // the environment the process started with
        string? userSpin = Environment.GetEnvironmentVariable("GOMP_SPINCOUNT");
        string? native = Marshal.PtrToStringAnsi(GetEnv("OMP_WAIT_POLICY"));                      // what libgomp reads when it loads
        if (userPolicy is null && userSpin is null)
        {
            Assert.Equal("PASSIVE", native);
            Assert.Contains("PASSIVE", result, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(userPolicy, native);
            Assert.Contains("set by the user", OpenMpWaitPolicy.Apply(), StringComparison.Ordinal);
        }
    }

    [DllImport("libc", EntryPoint = "getenv", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern IntPtr GetEnv(string name);
}
