using System.Runtime.InteropServices;
using SentenceMtl.Native;

namespace SentenceMtl.Tests.Native;

[Collection(ProcessMemoryCollection.Name)]
public class NativeHeapTests
{
    [Fact]
    public async Task Freed_heap_blocks_that_glibc_keeps_are_returned_to_the_system()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.False(NativeHeap.CanReturnFreeMemory);
            return;
        }

        Assert.True(NativeHeap.CanReturnFreeMemory);                                            // glibc on this Linux
        var (returned, residentBefore, residentAfter) = await Task.Run(FreeAndTrim);          // one thread: one heap
        Assert.True(returned);
        Assert.True(residentBefore > 0.9, $"{residentBefore:P0} of the freed pages were resident before trimming");
        Assert.True(residentAfter < 0.1, $"{residentAfter:P0} of the freed pages are still resident after trimming");
    }

    /// <summary>
    /// Frees every other one of 2,000 resident 64 KiB blocks (62.5 MiB in all), each freed block held in place by a live
    /// neighbour on both sides (the first and last blocks stay live), so glibc can neither merge a freed block into the
    /// heap's top nor give it back on its own, even in a long-lived, fragmented heap. Then trims, and asks the kernel
    /// (mincore) which of the freed blocks' pages are resident before and after: unlike the process's RSS, that is not
    /// moved by other threads allocating meanwhile.
    /// </summary>
    private static unsafe (bool Returned, double ResidentBefore, double ResidentAfter) FreeAndTrim()
    {
        const int count = 2000, size = 64 * 1024;                                               // blocks under the mmap threshold
        var blocks = new nint[count];
        for (int i = 0; i < count; i++)
        {
            blocks[i] = (nint)NativeMemory.Alloc(size);
            new Span<byte>((void*)blocks[i], size).Fill(1);                                     // resident
        }

        var freed = blocks.Where((_, i) => i % 2 == 1 && i < count - 1).ToArray();
        foreach (var block in freed)
        {
            NativeMemory.Free((void*)block);
        }

        double before = ResidentFraction(freed, size);
        bool returned = NativeHeap.ReturnFreeMemory();
        double after = ResidentFraction(freed, size);
        foreach (var block in blocks.Where((_, i) => i % 2 == 0 || i == count - 1))
        {
            NativeMemory.Free((void*)block);
        }

        return (returned, before, after);
    }

    /// <summary>
    /// The share of resident pages among the whole pages inside the blocks, past the first (glibc's free-list links).
    /// Each page is asked about on its own: a page that is no longer mapped at all (mincore's ENOMEM) has been returned
    /// to the system, so it counts as not resident; any other failure fails the test.
    /// </summary>
    private static unsafe double ResidentFraction(nint[] blocks, int size)
    {
        const int ENOMEM = 12;
        long page = Environment.SystemPageSize;
        long resident = 0, pages = 0;
        byte state = 0;
        foreach (var block in blocks)
        {
            long first = ((block + page - 1) / page * page) + page, end = (block + size) / page * page;
            for (long p = first; p < end; p += page)
            {
                pages++;
                if (mincore((void*)p, (nuint)page, &state) == 0)
                {
                    resident += state & 1;
                }
                else
                {
                    Assert.Equal(ENOMEM, Marshal.GetLastPInvokeError());                          // unmapped: returned
                }
            }
        }

        return resident / (double)pages;
    }

    [DllImport("libc.so.6", SetLastError = true)]
    private static extern unsafe int mincore(void* address, nuint length, byte* vector);
}
