using SentenceMtl.Inference.Vectors;

namespace SentenceMtl.Inference.Kernels;

/// <summary>
/// <c>y = x·Wᵀ + b</c> in int8: the weight is quantized once (symmetric, one scale per output column), the input
/// arrives quantized per row (<see cref="ActivationQuantizer"/>), products accumulate exactly in 32-bit integers, and
/// the epilogue turns each sum back into a float with both scales, then adds the bias (and GELU or the residual) as
/// <see cref="PackedLinear"/> does.
/// </summary>
/// <remarks>
/// <para>Quantization: weights with <see cref="SymmetricQuantization"/> to ±<see cref="WeightLevels"/> per output
/// column; inputs to ±127 per row, stored as unsigned bytes q + 128.</para>
/// <para>Layout: panels of two vectors' worth of output columns (as <see cref="PackedLinear"/>), each holding, for every
/// four inner indices k … k + 3, the columns' four bytes side by side, so one 32-bit lane of a weight vector is one
/// column's four weights. The micro-kernel broadcasts a row's four input bytes to every lane and multiplies them with
/// the weight vectors (<see cref="ISimd{TVector}.MultiplyAddBytes"/>: <c>vpmaddubsw</c> and <c>vpmaddwd</c>, or one
/// <c>vpdpbusd</c> with AVX-VNNI), for every row of the tile.</para>
/// <para>Exactness: <c>vpmaddubsw</c> adds two byte products in 16 bits and saturates beyond; with inputs ≤ 255 and
/// weights within ±63 a pair is at most 2 · 255 · 63 = 32,130, so it never does. Each sum is Σ (q + 128)·w; the kernel
/// starts it at −128 · Σ w of the column (computed when packing), so it ends at Σ q·w, at most K · 127 · 63 in
/// magnitude — exact in 32 bits for K up to 268,000. Every width and instruction set therefore computes the same
/// integers, and the float epilogue (lane-wise) the same outputs.</para>
/// </remarks>
internal sealed unsafe partial class QuantizedLinear
{
    /// <summary>Levels of the weights each side of 0 (see the remarks: ±63 keeps every pair of byte products within 16 bits).</summary>
    public const int WeightLevels = 63;

    private const int MaxTileRows = 12;

    private readonly AlignedBuffer panels;                                                      // bytes: (N' / P, K' / 4, P, 4)
    private readonly AlignedBuffer offsets;                                                     // (N') int32: −128 · Σ_k q[k, n]
    private readonly AlignedBuffer scales;                                                      // (N'): max|w| / 63 per column
    private readonly AlignedBuffer bias;                                                        // (N')

    private QuantizedLinear(AlignedBuffer panels, AlignedBuffer offsets, AlignedBuffer scales, AlignedBuffer bias, int inFeatures, int outFeatures, VectorWidth width)
    {
        this.panels = panels;
        this.offsets = offsets;
        this.scales = scales;
        this.bias = bias;
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Width = width;
    }

    /// <summary>K: values per input row.</summary>
    public int InFeatures { get; }

    /// <summary>K rounded up to a multiple of 4: bytes per quantized input row (the padding holds 128, that is q = 0).</summary>
    public int PaddedInFeatures => PadInFeatures(InFeatures);

    /// <summary>N: values per output row.</summary>
    public int OutFeatures { get; }

    /// <summary>The vector width the panels were laid out for.</summary>
    public VectorWidth Width { get; }

    /// <summary>Bytes held: the quantized weight, and per column its offset, scale and bias.</summary>
    public long Bytes => (panels.Length + offsets.Length + scales.Length + bias.Length) * (long)sizeof(float);

    /// <summary>K rounded up to a multiple of 4.</summary>
    public static int PadInFeatures(int inFeatures) => (inFeatures + 3) & ~3;

    /// <summary>Quantizes a row-major (N, K) weight and copies its bias into the kernel's layout for <paramref name="width"/>.</summary>
    /// <param name="weight">N·K finite values, row n holding output n's weights (PyTorch's <c>nn.Linear.weight</c>).</param>
    /// <param name="outFeatures">N, at least 1.</param>
    /// <param name="inFeatures">K, at least 1.</param>
    /// <param name="bias">N values, or empty for none.</param>
    /// <param name="width">The width the product will run at.</param>
    /// <exception cref="ArgumentException">The sizes do not match, or a weight is not finite.</exception>
    public static QuantizedLinear Pack(ReadOnlySpan<float> weight, int outFeatures, int inFeatures, ReadOnlySpan<float> bias, VectorWidth width)
    {
        PackedLinear.CheckShape(weight, outFeatures, inFeatures, bias);

        int p = PackedLinear.PanelWidth(width), panelCount = (outFeatures + p - 1) / p, kPadded = PadInFeatures(inFeatures);
        long bytes = (long)panelCount * p * kPadded;
        if (bytes > int.MaxValue)
        {
            throw new ArgumentException($"A {outFeatures} × {inFeatures} layer is too large for one int8 weight buffer (at most 2^31 bytes).", nameof(weight));
        }

        var packed = new AlignedBuffer((bytes + 3) / 4);                                         // columns past N and k past K stay 0
        var offsets = new AlignedBuffer((long)panelCount * p);
        var columnScales = new AlignedBuffer((long)panelCount * p);
        var paddedBias = new AlignedBuffer((long)panelCount * p);
        var target = new Span<sbyte>(packed.Pointer, (int)bytes);
        var quantized = new sbyte[inFeatures];
        for (int n = 0; n < outFeatures; n++)
        {
            columnScales.Span[n] = SymmetricQuantization.Quantize(weight.Slice(n * inFeatures, inFeatures), quantized, WeightLevels)
                ?? throw new ArgumentException($"Output {n}'s weights are not all finite; int8 needs finite weights.", nameof(weight));
            long panelStart = (long)(n / p) * kPadded * p;
            int column = n % p, sum = 0;
            for (int k = 0; k < inFeatures; k++)
            {
                target[(int)(panelStart + ((k / 4) * 4 * p) + (column * 4) + (k % 4))] = quantized[k];
                sum += quantized[k];
            }

            offsets.Span[n] = BitConverter.Int32BitsToSingle(-128 * sum);                        // the lanes are read as integers
        }

        bias.CopyTo(paddedBias.Span);
        return new QuantizedLinear(packed, offsets, columnScales, paddedBias, inFeatures, outFeatures, width);
    }

    /// <summary>y[0..rows) = epilogue(dequantized(x[0..rows)·Wᵀ) + b) on quantized input rows and row-major float outputs.</summary>
    /// <param name="x">rows × <see cref="PaddedInFeatures"/> quantized inputs, q + 128 (<see cref="ActivationQuantizer"/>).</param>
    /// <param name="rowScales">Each input row's scale.</param>
    /// <param name="rows">How many rows.</param>
    /// <param name="y">rows × N outputs; for <see cref="LinearEpilogue.AddToOutput"/> they hold the residual.</param>
    /// <param name="epilogue">What happens to each output value.</param>
    /// <param name="pool">The threads to split the output panels over.</param>
    public void Multiply<TS, TV>(byte* x, float* rowScales, long rows, float* y, LinearEpilogue epilogue, IntraOpThreadPool pool)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        if (TS.Width != Width)
        {
            throw new InvalidOperationException($"These weights were packed for {Width} vectors, not {TS.Width}.");
        }

        if (rows > 0)
        {
            var job = new Job<TS, TV>(this, x, rowScales, rows, y, epilogue);
            int panelCount = (OutFeatures + PackedLinear.PanelWidth(Width) - 1) / PackedLinear.PanelWidth(Width);
            pool.For(panelCount, rows * InFeatures * OutFeatures / 2, job.Run);
        }
    }

    /// <summary>One product's operands.</summary>
    private readonly struct Job<TS, TV>(QuantizedLinear owner, byte* x, float* rowScales, long rows, float* y, LinearEpilogue epilogue)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        /// <summary>Computes output panels [<paramref name="first"/>, <paramref name="end"/>) for every row.</summary>
        public void Run(int first, int end)
        {
            int kp = owner.PaddedInFeatures, n = owner.OutFeatures, p = 2 * TS.Count;
            int tile = TS.Count >= 16 ? 8 : 6;
            float* sums = stackalloc float[MaxTileRows * 32];                                     // a tile's sums, then (partial panel) its outputs
            for (int panel = first; panel < end; panel++)
            {
                float* w = owner.panels.Pointer + ((long)panel * kp / 4 * p), offset = owner.offsets.Pointer + ((long)panel * p);
                float* scale = owner.scales.Pointer + ((long)panel * p), b = owner.bias.Pointer + ((long)panel * p);
                int columns = Math.Min(p, n - (panel * p));
                for (long r = 0, count; r < rows; r += count)
                {
                    count = Math.Min(tile, rows - r);
                    if (tile == 8 && rows - r is > 8 and <= MaxTileRows)
                    {
                        count = rows - r;                                                         // one 12-row tile finishes the panel
                    }

                    SumTile(x + (r * kp), kp, (int)count, w, offset, sums);
                    float* c = y + (r * n) + (panel * p);
                    if (columns == p)
                    {
                        Dequantize(sums, (int)count, rowScales + r, scale, b, c, n, epilogue);
                    }
                    else
                    {
                        Dequantize(sums, (int)count, rowScales + r, scale, b, sums, p, epilogue == LinearEpilogue.Gelu ? epilogue : LinearEpilogue.None);
                        PackedLinear.CopyColumns(sums, p, c, n, (int)count, columns, epilogue == LinearEpilogue.AddToOutput);
                    }
                }
            }
        }

        private static void SumTile(byte* a, int kp, int rows, float* w, float* offset, float* sums)
        {
            if (rows > 8)
            {
                Tile<TS, TV, PackedLinear.Rows12>(a, kp, rows, w, offset, sums);
            }
            else if (TS.Count >= 16)
            {
                Tile<TS, TV, PackedLinear.Rows8>(a, kp, rows, w, offset, sums);
            }
            else
            {
                Tile<TS, TV, PackedLinear.Rows6>(a, kp, rows, w, offset, sums);
            }
        }

        /// <summary>c[r, j] = epilogue(sums[r, j] · rowScale[r] · scale[j] + bias[j]) for the tile's rows and its panel's 2V columns.</summary>
        private static void Dequantize(float* sums, int rows, float* rowScale, float* scale, float* bias, float* c, int ldc, LinearEpilogue epilogue)
        {
            int v = TS.Count;
            TV scale0 = TS.Load(scale), scale1 = TS.Load(scale + v), bias0 = TS.Load(bias), bias1 = TS.Load(bias + v);
            for (int r = 0; r < rows; r++)
            {
                var s = TS.Broadcast(rowScale[r]);
                float* row = c + ((long)r * ldc);
                var left = TS.MultiplyAdd(TS.Multiply(TS.Load(sums + (r * 2 * v)), s), scale0, bias0);
                var right = TS.MultiplyAdd(TS.Multiply(TS.Load(sums + (r * 2 * v) + v), s), scale1, bias1);
                if (epilogue == LinearEpilogue.AddToOutput)
                {
                    left = TS.Add(left, TS.Load(row));
                    right = TS.Add(right, TS.Load(row + v));
                }
                else if (epilogue == LinearEpilogue.Gelu)
                {
                    left = SimdMath.Gelu<TS, TV>(left);
                    right = SimdMath.Gelu<TS, TV>(right);
                }

                TS.Store(left, row);
                TS.Store(right, row + v);
            }
        }
    }
}
