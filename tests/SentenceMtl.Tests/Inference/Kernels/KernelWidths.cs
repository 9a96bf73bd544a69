using SentenceMtl.Inference.Kernels;
using SentenceMtl.Inference.Vectors;

namespace SentenceMtl.Tests.Inference.Kernels;

/// <summary>What the kernel tests share: the widths to run at, the skip for a width this machine lacks, seeded data.</summary>
internal static class KernelWidths
{
    /// <summary>Every width, as bits (<see cref="VectorWidth"/> is internal, so theory data carries an int).</summary>
    public static TheoryData<int> All => new() { 512, 256, 128 };

    /// <summary>The width <paramref name="bits"/> stands for; skips the test when this machine does not accelerate it.</summary>
    public static VectorWidth Require(int bits)
    {
        var width = (VectorWidth)bits;
        Skip.IfNot(VectorWidths.IsAccelerated(width), $"{width} vectors are not accelerated on this machine.");
        return width;
    }

    /// <summary><paramref name="count"/> normally distributed values (mean 0, standard deviation <paramref name="scale"/>), from a fixed seed.</summary>
    public static float[] Normal(int seed, long count, double scale = 1)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (long i = 0; i < count; i++)
        {
            double u = 1 - random.NextDouble(), v = random.NextDouble();                          // Box–Muller, u ∈ (0, 1]
            values[i] = (float)(scale * Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v));
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
