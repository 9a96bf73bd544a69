using SentenceMtl.Inference.Kernels;

namespace SentenceMtl.PortableChecks;

/// <summary>
/// Seeded inputs that are the same floats on every platform: <see cref="Random"/> with a seed is integer arithmetic,
/// and values are sums of its doubles (no log, cos or exp, whose last bit may differ between C libraries), so the
/// x64 and ARM64 runs feed the kernels and the engine identical numbers.
/// </summary>
internal static class Seeded
{
    /// <summary><paramref name="count"/> values of mean 0 and standard deviation <paramref name="scale"/>, nearly normal
    /// (a scaled sum of four uniforms).</summary>
    public static float[] Normal(int seed, long count, double scale = 1)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (long i = 0; i < count; i++)
        {
            double sum = random.NextDouble() + random.NextDouble() + random.NextDouble() + random.NextDouble() - 2;
            values[i] = (float)(scale * sum * 1.7320508075688772);                             // √3: the sum's sd is 1/√3
        }

        return values;
    }

    /// <summary>A 64-byte-aligned copy of <paramref name="values"/>, as the engine hands the kernels its buffers.</summary>
    public static AlignedBuffer Aligned(float[] values)
    {
        var buffer = new AlignedBuffer(values.Length);
        values.CopyTo(buffer.Span);
        return buffer;
    }
}
