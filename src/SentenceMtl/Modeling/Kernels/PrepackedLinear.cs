using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace SentenceMtl.Modeling.Kernels;

/// <summary>
/// <c>y = x·Wᵀ + b</c> for inference on the CPU, with the weight packed once into panels of 32 output columns and an
/// AVX-512 micro-kernel that keeps an 8 × 32 block of <c>y</c> in sixteen registers while it walks the inner dimension.
/// </summary>
/// <remarks>
/// libtorch's CPU <c>linear</c> calls MKL's <c>sgemm</c>, which repacks the weight on every call: for the few hundred rows
/// of a BERT batch that copy is a visible share of the work, and for a single sentence (a dozen rows) it is most of it.
/// Here the weight is packed once (<see cref="Pack"/>) and every call only streams the panels; output panels are split
/// across <see cref="InferenceThreads.KernelThreads"/> threads. Products are summed in a different order than MKL's, so results
/// agree with <c>linear</c> to float rounding (≈ 1e-6 relative), not bit for bit. The packed copy does not follow later
/// changes of the weight: its owner must drop it when the weight changes.
/// </remarks>
internal sealed unsafe class PrepackedLinear : IDisposable
{
    /// <summary>Output columns per panel: two 16-float vectors.</summary>
    public const int PanelWidth = 32;

    /// <summary>Rows of x per micro-kernel call.</summary>
    private const int TileRows = 8;

    /// <summary>Rows of the wide tile that finishes a product with 9 to 12 rows left (a short sentence alone is about 12
    /// tokens): one pass over the panel instead of an 8-row tile and a mostly empty second one. Twenty-four
    /// accumulators; for long products the 8-row tile is a few percent faster.</summary>
    private const int WideTileRows = 12;

    private readonly Tensor panels;                                                             // (N / 32, K, 32)
    private readonly Tensor bias;                                                               // (N)

    private PrepackedLinear(Tensor panels, Tensor bias, int inFeatures, int outFeatures)
    {
        this.panels = panels;
        this.bias = bias;
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
    }

    /// <summary>K: the length of each input row.</summary>
    public int InFeatures { get; }

    /// <summary>N: the length of each output row.</summary>
    public int OutFeatures { get; }

    /// <summary>Whether this machine runs the kernel (512-bit vectors accelerated by the JIT).</summary>
    public static bool IsSupported => Vector512.IsHardwareAccelerated;

    /// <summary>Whether <paramref name="weight"/> can be packed: a float32 CPU matrix whose row count is a multiple of 32.</summary>
    public static bool CanPack(Tensor weight) =>
        IsSupported && weight.dim() == 2 && weight.dtype == ScalarType.Float32 && weight.device_type == DeviceType.CPU
        && weight.shape[0] > 0 && weight.shape[0] % PanelWidth == 0 && weight.shape[1] > 0
        && weight.shape[0] <= int.MaxValue && weight.shape[1] <= int.MaxValue;

    /// <summary>Whether <paramref name="x"/> can be multiplied by a packed (N, <paramref name="inFeatures"/>) weight: float32
    /// on the CPU, last dimension <paramref name="inFeatures"/>.</summary>
    public static bool Accepts(Tensor x, long inFeatures) =>
        x.dtype == ScalarType.Float32 && x.device_type == DeviceType.CPU && x.dim() > 0 && x.shape[^1] == inFeatures;

    /// <summary>Copies <paramref name="weight"/> (N, K) and <paramref name="bias"/> (N) into the kernel's layout.</summary>
    /// <exception cref="ArgumentException">The weight cannot be packed (<see cref="CanPack"/>) or the bias does not match it.</exception>
    public static PrepackedLinear Pack(Tensor weight, Tensor? bias)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (!CanPack(weight))
        {
            throw new ArgumentException(
                $"Cannot pack a {weight.dtype} weight of shape [{string.Join(", ", weight.shape)}] on {weight.device_type}: " +
                $"the kernel needs a float32 CPU matrix with a multiple of {PanelWidth} rows and AVX-512.", nameof(weight));
        }

        long n = weight.shape[0], k = weight.shape[1];
        if (bias is not null && (bias.dim() != 1 || bias.shape[0] != n || bias.dtype != ScalarType.Float32))
        {
            throw new ArgumentException($"The bias must be a float32 vector of length {n}.", nameof(bias));
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var panels = weight.detach().reshape(n / PanelWidth, PanelWidth, k).transpose(1, 2).contiguous(); // (N/32, K, 32)
        var b = bias is null ? zeros(n) : bias.detach().contiguous().clone();                  // (N)
        return new PrepackedLinear(panels.DetachFromDisposeScope(), b.DetachFromDisposeScope(), (int)k, (int)n);  // owned by this object
    }

    /// <summary>y = x·Wᵀ + b.</summary>
    /// <param name="x">(…, K) float32 on the CPU.</param>
    /// <returns>(…, N), a new tensor.</returns>
    public Tensor Forward(Tensor x)
    {
        CheckInput(x);
        var y = empty([.. x.shape[..^1], OutFeatures]);
        Multiply(x, y, LinearEpilogue.None);
        return y;
    }

    /// <summary>Writes x·Wᵀ + b into <paramref name="y"/>, finished by <paramref name="epilogue"/>.</summary>
    /// <param name="x">(…, K) float32 on the CPU.</param>
    /// <param name="y">(…, N) contiguous float32 on the CPU with as many rows as <paramref name="x"/>, not overlapping it; its
    /// values are the residual for <see cref="LinearEpilogue.AddToOutput"/>.</param>
    /// <param name="epilogue">What happens to each output value.</param>
    public void Multiply(Tensor x, Tensor y, LinearEpilogue epilogue)
    {
        CheckInput(x);
        ArgumentNullException.ThrowIfNull(y);
        long m = x.numel() / InFeatures;
        if (!Accepts(y, OutFeatures) || !y.is_contiguous() || y.numel() != m * OutFeatures)
        {
            throw new ArgumentException(
                $"Expected a contiguous float32 CPU output of {m} rows of {OutFeatures}, got {y.dtype} [{string.Join(", ", y.shape)}] on {y.device_type}.", nameof(y));
        }

        if (m > 0)
        {
            using var input = x.contiguous();
            Multiply(TensorMemory.Pointer(input), m, TensorMemory.Pointer(y), epilogue);
        }
    }

    /// <summary>y[0..rows) = epilogue(x[0..rows)·Wᵀ + b) on raw row-major buffers of K and N values per row that do not overlap.</summary>
    internal void Multiply(float* x, long rows, float* y, LinearEpilogue epilogue)
    {
        if (rows == 0)
        {
            return;
        }

        var job = new Job(x, TensorMemory.Pointer(panels), TensorMemory.Pointer(bias), y, rows, InFeatures, OutFeatures, epilogue);
        InferenceThreads.Split(OutFeatures / PanelWidth, rows * InFeatures * OutFeatures, job.Run);
    }

    private void CheckInput(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!Accepts(x, InFeatures))
        {
            throw new ArgumentException(
                $"Expected a float32 CPU tensor (…, {InFeatures}), got {x.dtype} [{string.Join(", ", x.shape)}] on {x.device_type}.", nameof(x));
        }
    }

    /// <summary>Frees the packed copy.</summary>
    public void Dispose()
    {
        panels.Dispose();
        bias.Dispose();
    }

    /// <summary>One product's operands, as raw pointers into tensors kept alive by the caller.</summary>
    private readonly struct Job(float* a, float* panels, float* bias, float* c, long rows, int k, int n, LinearEpilogue epilogue)
    {
        /// <summary>Computes output panels [<paramref name="first"/>, <paramref name="end"/>) for every row.</summary>
        public void Run(int first, int end)
        {
            for (int p = first; p < end; p++)
            {
                float* w = panels + ((long)p * k * PanelWidth);
                for (long r = 0; r < rows; r += TileRows)
                {
                    long left = rows - r;
                    if (left is > TileRows and <= WideTileRows)
                    {
                        Tile<WideTile>(a + (r * k), k, (int)left, w, bias + (p * PanelWidth), c + (r * n) + (p * PanelWidth), n, epilogue);
                        break;
                    }

                    Tile<NarrowTile>(a + (r * k), k, (int)Math.Min(TileRows, left), w, bias + (p * PanelWidth), c + (r * n) + (p * PanelWidth), n, epilogue);
                }
            }
        }
    }

    /// <summary>
    /// c[0..rows, 0..32) = a[0..rows, 0..k) · panel + bias: an 8 × 32 block in sixteen accumulators (12 × 32 in
    /// twenty-four for <see cref="WideTile"/>), one pass over k. Missing rows repeat the last row and are not stored.
    /// </summary>
    /// <typeparam name="TShape">The tile's row count, fixed when the method is compiled, so the narrow tile carries no
    /// trace of the wide one's extra rows.</typeparam>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TShape>(float* a, int k, int rows, float* panel, float* bias, float* c, int ldc, LinearEpilogue epilogue)
        where TShape : struct, ITileShape
    {
        bool wide = TShape.Rows == WideTileRows;
        float* a0 = a, a1 = Row(a, k, rows, 1), a2 = Row(a, k, rows, 2), a3 = Row(a, k, rows, 3);
        float* a4 = Row(a, k, rows, 4), a5 = Row(a, k, rows, 5), a6 = Row(a, k, rows, 6), a7 = Row(a, k, rows, 7);
        float* a8 = Row(a, k, rows, 8), a9 = Row(a, k, rows, 9), a10 = Row(a, k, rows, 10), a11 = Row(a, k, rows, 11);
        var c00 = Vector512.Load(bias);
        var c01 = Vector512.Load(bias + 16);
        Vector512<float> c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
        Vector512<float> c40 = c00, c41 = c01, c50 = c00, c51 = c01, c60 = c00, c61 = c01, c70 = c00, c71 = c01;
        Vector512<float> c80 = c00, c81 = c01, c90 = c00, c91 = c01, ca0 = c00, ca1 = c01, cb0 = c00, cb1 = c01;
        float* w = panel;
        for (int i = 0; i < k; i++, w += PanelWidth)
        {
            var w0 = Vector512.Load(w);
            var w1 = Vector512.Load(w + 16);
            var x = Vector512.Create(a0[i]);
            c00 = Vector512.FusedMultiplyAdd(x, w0, c00);
            c01 = Vector512.FusedMultiplyAdd(x, w1, c01);
            x = Vector512.Create(a1[i]);
            c10 = Vector512.FusedMultiplyAdd(x, w0, c10);
            c11 = Vector512.FusedMultiplyAdd(x, w1, c11);
            x = Vector512.Create(a2[i]);
            c20 = Vector512.FusedMultiplyAdd(x, w0, c20);
            c21 = Vector512.FusedMultiplyAdd(x, w1, c21);
            x = Vector512.Create(a3[i]);
            c30 = Vector512.FusedMultiplyAdd(x, w0, c30);
            c31 = Vector512.FusedMultiplyAdd(x, w1, c31);
            x = Vector512.Create(a4[i]);
            c40 = Vector512.FusedMultiplyAdd(x, w0, c40);
            c41 = Vector512.FusedMultiplyAdd(x, w1, c41);
            x = Vector512.Create(a5[i]);
            c50 = Vector512.FusedMultiplyAdd(x, w0, c50);
            c51 = Vector512.FusedMultiplyAdd(x, w1, c51);
            x = Vector512.Create(a6[i]);
            c60 = Vector512.FusedMultiplyAdd(x, w0, c60);
            c61 = Vector512.FusedMultiplyAdd(x, w1, c61);
            x = Vector512.Create(a7[i]);
            c70 = Vector512.FusedMultiplyAdd(x, w0, c70);
            c71 = Vector512.FusedMultiplyAdd(x, w1, c71);
            if (wide)
            {
                x = Vector512.Create(a8[i]);
                c80 = Vector512.FusedMultiplyAdd(x, w0, c80);
                c81 = Vector512.FusedMultiplyAdd(x, w1, c81);
                x = Vector512.Create(a9[i]);
                c90 = Vector512.FusedMultiplyAdd(x, w0, c90);
                c91 = Vector512.FusedMultiplyAdd(x, w1, c91);
                x = Vector512.Create(a10[i]);
                ca0 = Vector512.FusedMultiplyAdd(x, w0, ca0);
                ca1 = Vector512.FusedMultiplyAdd(x, w1, ca1);
                x = Vector512.Create(a11[i]);
                cb0 = Vector512.FusedMultiplyAdd(x, w0, cb0);
                cb1 = Vector512.FusedMultiplyAdd(x, w1, cb1);
            }
        }

        Store(c, ldc, rows, 0, c00, c01, epilogue);
        Store(c, ldc, rows, 1, c10, c11, epilogue);
        Store(c, ldc, rows, 2, c20, c21, epilogue);
        Store(c, ldc, rows, 3, c30, c31, epilogue);
        Store(c, ldc, rows, 4, c40, c41, epilogue);
        Store(c, ldc, rows, 5, c50, c51, epilogue);
        Store(c, ldc, rows, 6, c60, c61, epilogue);
        Store(c, ldc, rows, 7, c70, c71, epilogue);
        if (wide)
        {
            Store(c, ldc, rows, 8, c80, c81, epilogue);
            Store(c, ldc, rows, 9, c90, c91, epilogue);
            Store(c, ldc, rows, 10, ca0, ca1, epilogue);
            Store(c, ldc, rows, 11, cb0, cb1, epilogue);
        }

        if (epilogue == LinearEpilogue.Gelu)
        {
            Gelu(c, ldc, rows);
        }
    }

    /// <summary>GELU over a stored block, still in L1; kept out of <see cref="Tile"/> so its registers stay on the accumulators.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Gelu(float* c, int ldc, int rows)
    {
        for (int r = 0; r < rows; r++)
        {
            float* row = c + ((long)r * ldc);
            VectorMath.Gelu(Vector512.Load(row)).Store(row);
            VectorMath.Gelu(Vector512.Load(row + 16)).Store(row + 16);
        }
    }

    /// <summary>A micro-kernel's row count, as a type so each tile shape is compiled on its own.</summary>
    private interface ITileShape
    {
        /// <summary>Rows per tile.</summary>
        static abstract int Rows { get; }
    }

    /// <summary>The 8-row tile.</summary>
    private readonly struct NarrowTile : ITileShape
    {
        public static int Rows => TileRows;
    }

    /// <summary>The 12-row tile.</summary>
    private readonly struct WideTile : ITileShape
    {
        public static int Rows => WideTileRows;
    }

    private static float* Row(float* a, int k, int rows, int r) => a + ((long)Math.Min(r, rows - 1) * k);

    private static void Store(float* c, int ldc, int rows, int r, Vector512<float> left, Vector512<float> right, LinearEpilogue epilogue)
    {
        if (r >= rows)
        {
            return;
        }

        float* row = c + ((long)r * ldc);
        if (epilogue == LinearEpilogue.AddToOutput)
        {
            left += Vector512.Load(row);
            right += Vector512.Load(row + 16);
        }

        left.Store(row);
        right.Store(row + 16);
    }
}
