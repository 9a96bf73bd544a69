using System.Runtime.InteropServices;
using SentenceMtl.Native;

namespace SentenceMtl.Tests.Native;

[Collection(ProcessMemoryCollection.Name)]
public class NativeHeapTests
{
    private static long ResidentBytes() =>
        long.Parse(File.ReadLines("/proc/self/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;

    [Fact]
    public async Task Freed_heap_blocks_that_glibc_keeps_are_returned_to_the_system()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.False(NativeHeap.CanReturnFreeMemory);
            return;
        }

        Assert.True(NativeHeap.CanReturnFreeMemory);                                            // glibc on this Linux
        var (returned, released) = await Task.Run(FreeAndTrim);                                 // one thread: one heap
        Assert.True(returned);
        Assert.True(released > 64L << 20, $"RSS fell by {released >> 20} MiB");
    }

    /// <summary>
    /// Leaves 125 MiB of freed blocks in this thread's heap, each held in place by a small live block allocated after it
    /// (so glibc can neither merge them into the heap's top nor give them back on its own), trims, and measures RSS.
    /// </summary>
    private static unsafe (bool Returned, long Released) FreeAndTrim()
    {
        const int count = 2000, size = 64 * 1024;                                               // blocks under the mmap threshold
        var blocks = new nint[count];
        var keepers = new nint[count];
        for (int i = 0; i < count; i++)
        {
            blocks[i] = (nint)NativeMemory.Alloc(size);
            new Span<byte>((void*)blocks[i], size).Fill(1);                                     // resident
            keepers[i] = (nint)NativeMemory.Alloc(200);
        }

        foreach (var block in blocks)
        {
            NativeMemory.Free((void*)block);
        }

        long before = ResidentBytes();
        bool returned = NativeHeap.ReturnFreeMemory();
        long after = ResidentBytes();
        foreach (var keeper in keepers)
        {
            NativeMemory.Free((void*)keeper);
        }

        return (returned, before - after);
    }
}
