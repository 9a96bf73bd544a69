using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SentenceMtl.Inference.Vectors;

namespace SentenceMtl.Inference.Kernels;

/// <summary>
/// <c>y = x·Wᵀ + b</c> with the weight packed once into panels of two vectors' worth of output columns, and a
/// micro-kernel, written once over the vector width, that keeps a block of rows × two vectors of <c>y</c> in registers
/// while it walks the inner dimension.
/// </summary>
/// <remarks>
/// A BERT batch has a few hundred rows (a dozen for one sentence), so a general matrix product that repacks its
/// operand on every call spends a visible share of its time copying; here the weight is packed once and every call
/// only streams the panels. Tiles are 8 rows at 512 bits (16 accumulators of the 32 registers; 9 to 12 rows left take
/// one 12-row tile instead of a mostly empty second pass) and 6 rows below (12 accumulators of AVX2's 16 registers).
/// Each output value is accumulated from the bias over k = 0, 1, … with one rounding per step (fused multiply-add)
/// whatever the width, so every width computes the same bits; against libtorch's <c>linear</c> (MKL sums in another
/// order) values agree to float rounding. Output panels are split across the pool's threads.
/// </remarks>
internal sealed unsafe class PackedLinear
{
    private const int MaxTileRows = 12;

    private readonly AlignedBuffer panels;                                                      // (N' / P, K, P), N' = N rounded up to P
    private readonly AlignedBuffer bias;                                                        // (N')

    private PackedLinear(AlignedBuffer panels, AlignedBuffer bias, int inFeatures, int outFeatures, VectorWidth width)
    {
        this.panels = panels;
        this.bias = bias;
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Width = width;
    }

    /// <summary>K: values per input row.</summary>
    public int InFeatures { get; }

    /// <summary>N: values per output row.</summary>
    public int OutFeatures { get; }

    /// <summary>The vector width the panels were laid out for; <see cref="Multiply{TS, TV}"/> runs at this width only.</summary>
    public VectorWidth Width { get; }

    /// <summary>Bytes held: the packed weight and the bias.</summary>
    public long Bytes => (panels.Length + bias.Length) * (long)sizeof(float);

    /// <summary>Output columns per panel at <paramref name="width"/>: two vectors.</summary>
    public static int PanelWidth(VectorWidth width) => 2 * (int)width / 32;

    /// <summary>Copies a row-major (N, K) weight and its bias into the kernel's layout for <paramref name="width"/>.</summary>
    /// <param name="weight">N·K values, row n holding output n's weights (PyTorch's <c>nn.Linear.weight</c>).</param>
    /// <param name="outFeatures">N, at least 1.</param>
    /// <param name="inFeatures">K, at least 1.</param>
    /// <param name="bias">N values, or empty for none.</param>
    /// <param name="width">The width the product will run at.</param>
    /// <exception cref="ArgumentException">The sizes do not match.</exception>
    public static PackedLinear Pack(ReadOnlySpan<float> weight, int outFeatures, int inFeatures, ReadOnlySpan<float> bias, VectorWidth width)
    {
        CheckShape(weight, outFeatures, inFeatures, bias);

        int p = PanelWidth(width), panelCount = (outFeatures + p - 1) / p;
        var packed = new AlignedBuffer((long)panelCount * inFeatures * p);                       // columns past N stay 0
        var paddedBias = new AlignedBuffer((long)panelCount * p);
        var target = packed.Span;
        for (int n = 0; n < outFeatures; n++)
        {
            var row = weight.Slice(n * inFeatures, inFeatures);
            int panelStart = n / p * inFeatures * p, column = n % p;
            for (int k = 0; k < inFeatures; k++)
            {
                target[panelStart + (k * p) + column] = row[k];
            }
        }

        bias.CopyTo(paddedBias.Span);
        return new PackedLinear(packed, paddedBias, inFeatures, outFeatures, width);
    }

    /// <summary>Refuses a weight or bias whose length is not what (N, K) implies (for this and <see cref="QuantizedLinear"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">N or K is below 1.</exception>
    /// <exception cref="ArgumentException">The weight does not hold N·K values, or the bias neither 0 nor N.</exception>
    internal static void CheckShape(ReadOnlySpan<float> weight, int outFeatures, int inFeatures, ReadOnlySpan<float> bias)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(outFeatures, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inFeatures, 1);
        if (weight.Length != (long)outFeatures * inFeatures)
        {
            throw new ArgumentException($"Expected {outFeatures} × {inFeatures} weights, got {weight.Length}.", nameof(weight));
        }

        if (!bias.IsEmpty && bias.Length != outFeatures)
        {
            throw new ArgumentException($"Expected {outFeatures} biases, got {bias.Length}.", nameof(bias));
        }
    }

    /// <summary>As <see cref="Multiply{TS, TV}"/> at the width the panels were packed for (for callers outside the engine's generic forward pass).</summary>
    public void Multiply(float* x, long rows, float* y, LinearEpilogue epilogue, IntraOpThreadPool pool)
    {
        switch (Width)
        {
            case VectorWidth.Bits512:
                Multiply<Simd512, Vector512<float>>(x, rows, y, epilogue, pool);
                break;
            case VectorWidth.Bits256:
                Multiply<Simd256, Vector256<float>>(x, rows, y, epilogue, pool);
                break;
            default:
                Multiply<Simd128, Vector128<float>>(x, rows, y, epilogue, pool);
                break;
        }
    }

    /// <summary>y[0..rows) = epilogue(x[0..rows)·Wᵀ + b) on row-major buffers of K and N values per row that do not overlap.</summary>
    /// <param name="x">rows × K inputs.</param>
    /// <param name="rows">How many rows.</param>
    /// <param name="y">rows × N outputs; for <see cref="LinearEpilogue.AddToOutput"/> they hold the residual.</param>
    /// <param name="epilogue">What happens to each output value.</param>
    /// <param name="pool">The threads to split the output panels over.</param>
    public void Multiply<TS, TV>(float* x, long rows, float* y, LinearEpilogue epilogue, IntraOpThreadPool pool)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        if (TS.Width != Width)
        {
            throw new InvalidOperationException($"These weights were packed for {Width} vectors, not {TS.Width}.");
        }

        if (rows > 0)
        {
            var job = new Job<TS, TV>(this, x, rows, y, epilogue);
            int panelCount = (OutFeatures + PanelWidth(Width) - 1) / PanelWidth(Width);
            pool.For(panelCount, rows * InFeatures * OutFeatures, job.Run);
        }
    }

    /// <summary>One product's operands.</summary>
    private readonly struct Job<TS, TV>(PackedLinear owner, float* x, long rows, float* y, LinearEpilogue epilogue)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        /// <summary>Computes output panels [<paramref name="first"/>, <paramref name="end"/>) for every row.</summary>
        public void Run(int first, int end)
        {
            int k = owner.InFeatures, n = owner.OutFeatures, p = 2 * TS.Count;
            int tile = TS.Count >= 16 ? 8 : 6;
            float* scratch = stackalloc float[MaxTileRows * 32];                                  // a tile of the last, partial panel
            for (int panel = first; panel < end; panel++)
            {
                float* w = owner.panels.Pointer + ((long)panel * k * p), b = owner.bias.Pointer + ((long)panel * p);
                int columns = Math.Min(p, n - (panel * p));
                for (long r = 0, count; r < rows; r += count)
                {
                    count = Math.Min(tile, rows - r);
                    if (tile == 8 && rows - r is > 8 and <= MaxTileRows)
                    {
                        count = rows - r;                                                         // one 12-row tile finishes the panel
                    }

                    float* a = x + (r * k), c = y + (r * n) + (panel * p);
                    if (columns == p)
                    {
                        RunTile(a, k, (int)count, w, b, c, n, epilogue);
                    }
                    else
                    {
                        RunTile(a, k, (int)count, w, b, scratch, p, epilogue == LinearEpilogue.Gelu ? epilogue : LinearEpilogue.None);
                        CopyColumns(scratch, p, c, n, (int)count, columns, epilogue == LinearEpilogue.AddToOutput);
                    }
                }
            }
        }

        private static void RunTile(float* a, int k, int rows, float* w, float* b, float* c, int ldc, LinearEpilogue epilogue)
        {
            if (rows > 8)
            {
                Tile<TS, TV, Rows12>(a, k, rows, w, b, c, ldc, epilogue);
            }
            else if (TS.Count >= 16)
            {
                Tile<TS, TV, Rows8>(a, k, rows, w, b, c, ldc, epilogue);
            }
            else
            {
                Tile<TS, TV, Rows6>(a, k, rows, w, b, c, ldc, epilogue);
            }
        }

    }

    /// <summary>Copies (or, with <paramref name="add"/>, adds) the first <paramref name="columns"/> columns of a tile of
    /// <paramref name="rows"/> rows of <paramref name="p"/> values into rows of <paramref name="ldc"/> values: a last,
    /// partial panel's outputs.</summary>
    internal static void CopyColumns(float* tile, int p, float* c, int ldc, int rows, int columns, bool add)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < columns; j++)
            {
                c[((long)r * ldc) + j] = add ? c[((long)r * ldc) + j] + tile[(r * p) + j] : tile[(r * p) + j];
            }
        }
    }

    /// <summary>
    /// c[0..rows, 0..2V) = a[0..rows, 0..k) · panel + bias (V floats per vector), a <typeparamref name="TShape"/>-row
    /// block in two accumulators per row, one pass over k. Missing rows repeat the last row and are not stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TS, TV, TShape>(float* a, int k, int rows, float* panel, float* bias, float* c, int ldc, LinearEpilogue epilogue)
        where TS : struct, ISimd<TV>
        where TV : struct
        where TShape : struct, ITileShape
    {
        int v = TS.Count, p = 2 * v;
        float* a0 = a, a1 = Row(a, k, rows, 1), a2 = Row(a, k, rows, 2), a3 = Row(a, k, rows, 3);
        float* a4 = Row(a, k, rows, 4), a5 = Row(a, k, rows, 5), a6 = Row(a, k, rows, 6), a7 = Row(a, k, rows, 7);
        float* a8 = Row(a, k, rows, 8), a9 = Row(a, k, rows, 9), a10 = Row(a, k, rows, 10), a11 = Row(a, k, rows, 11);
        var c00 = TS.Load(bias);
        var c01 = TS.Load(bias + v);
        TV c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01, c40 = c00, c41 = c01, c50 = c00, c51 = c01;
        TV c60 = c00, c61 = c01, c70 = c00, c71 = c01, c80 = c00, c81 = c01, c90 = c00, c91 = c01;
        TV ca0 = c00, ca1 = c01, cb0 = c00, cb1 = c01;
        float* w = panel;
        for (int i = 0; i < k; i++, w += p)
        {
            var w0 = TS.Load(w);
            var w1 = TS.Load(w + v);
            var x = TS.Broadcast(a0[i]);
            c00 = TS.MultiplyAdd(x, w0, c00);
            c01 = TS.MultiplyAdd(x, w1, c01);
            x = TS.Broadcast(a1[i]);
            c10 = TS.MultiplyAdd(x, w0, c10);
            c11 = TS.MultiplyAdd(x, w1, c11);
            x = TS.Broadcast(a2[i]);
            c20 = TS.MultiplyAdd(x, w0, c20);
            c21 = TS.MultiplyAdd(x, w1, c21);
            x = TS.Broadcast(a3[i]);
            c30 = TS.MultiplyAdd(x, w0, c30);
            c31 = TS.MultiplyAdd(x, w1, c31);
            x = TS.Broadcast(a4[i]);
            c40 = TS.MultiplyAdd(x, w0, c40);
            c41 = TS.MultiplyAdd(x, w1, c41);
            x = TS.Broadcast(a5[i]);
            c50 = TS.MultiplyAdd(x, w0, c50);
            c51 = TS.MultiplyAdd(x, w1, c51);
            if (TShape.Rows > 6)
            {
                x = TS.Broadcast(a6[i]);
                c60 = TS.MultiplyAdd(x, w0, c60);
                c61 = TS.MultiplyAdd(x, w1, c61);
                x = TS.Broadcast(a7[i]);
                c70 = TS.MultiplyAdd(x, w0, c70);
                c71 = TS.MultiplyAdd(x, w1, c71);
            }

            if (TShape.Rows > 8)
            {
                x = TS.Broadcast(a8[i]);
                c80 = TS.MultiplyAdd(x, w0, c80);
                c81 = TS.MultiplyAdd(x, w1, c81);
                x = TS.Broadcast(a9[i]);
                c90 = TS.MultiplyAdd(x, w0, c90);
                c91 = TS.MultiplyAdd(x, w1, c91);
                x = TS.Broadcast(a10[i]);
                ca0 = TS.MultiplyAdd(x, w0, ca0);
                ca1 = TS.MultiplyAdd(x, w1, ca1);
                x = TS.Broadcast(a11[i]);
                cb0 = TS.MultiplyAdd(x, w0, cb0);
                cb1 = TS.MultiplyAdd(x, w1, cb1);
            }
        }

        Store<TS, TV>(c, ldc, rows, 0, c00, c01, epilogue);
        Store<TS, TV>(c, ldc, rows, 1, c10, c11, epilogue);
        Store<TS, TV>(c, ldc, rows, 2, c20, c21, epilogue);
        Store<TS, TV>(c, ldc, rows, 3, c30, c31, epilogue);
        Store<TS, TV>(c, ldc, rows, 4, c40, c41, epilogue);
        Store<TS, TV>(c, ldc, rows, 5, c50, c51, epilogue);
        if (TShape.Rows > 6)
        {
            Store<TS, TV>(c, ldc, rows, 6, c60, c61, epilogue);
            Store<TS, TV>(c, ldc, rows, 7, c70, c71, epilogue);
        }

        if (TShape.Rows > 8)
        {
            Store<TS, TV>(c, ldc, rows, 8, c80, c81, epilogue);
            Store<TS, TV>(c, ldc, rows, 9, c90, c91, epilogue);
            Store<TS, TV>(c, ldc, rows, 10, ca0, ca1, epilogue);
            Store<TS, TV>(c, ldc, rows, 11, cb0, cb1, epilogue);
        }

        if (epilogue == LinearEpilogue.Gelu)
        {
            Gelu<TS, TV>(c, ldc, rows);
        }
    }

    /// <summary>GELU over a stored block, still in L1; kept out of <see cref="Tile"/> so its registers stay on the accumulators.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Gelu<TS, TV>(float* c, int ldc, int rows)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        for (int r = 0; r < rows; r++)
        {
            float* row = c + ((long)r * ldc);
            TS.Store(SimdMath.Gelu<TS, TV>(TS.Load(row)), row);
            TS.Store(SimdMath.Gelu<TS, TV>(TS.Load(row + TS.Count)), row + TS.Count);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TS, TV>(float* c, int ldc, int rows, int r, TV left, TV right, LinearEpilogue epilogue)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        if (r >= rows)
        {
            return;
        }

        float* row = c + ((long)r * ldc);
        if (epilogue == LinearEpilogue.AddToOutput)
        {
            left = TS.Add(left, TS.Load(row));
            right = TS.Add(right, TS.Load(row + TS.Count));
        }

        TS.Store(left, row);
        TS.Store(right, row + TS.Count);
    }

    private static float* Row(float* a, int k, int rows, int r) => a + ((long)Math.Min(r, rows - 1) * k);

    /// <summary>A micro-kernel's row count, as a type so each tile shape is compiled on its own.</summary>
    internal interface ITileShape
    {
        /// <summary>Rows per tile.</summary>
        static abstract int Rows { get; }
    }

    /// <summary>The 6-row tile (256 and 128 bits).</summary>
    internal readonly struct Rows6 : ITileShape
    {
        public static int Rows => 6;
    }

    /// <summary>The 8-row tile (512 bits).</summary>
    internal readonly struct Rows8 : ITileShape
    {
        public static int Rows => 8;
    }

    /// <summary>The 12-row tile that finishes a 512-bit product with 9 to 12 rows left.</summary>
    internal readonly struct Rows12 : ITileShape
    {
        public static int Rows => MaxTileRows;
    }
}
