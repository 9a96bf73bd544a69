using SentenceMtl.Inference.Kernels;
using SentenceMtl.Inference.Vectors;

namespace SentenceMtl.Inference;

/// <summary>One linear layer of the engine: float32 panels, or int8 panels whose input is quantized per row first.</summary>
internal sealed unsafe class EngineLinear
{
    private readonly PackedLinear? floats;
    private readonly QuantizedLinear? quantized;

    private EngineLinear(PackedLinear? floats, QuantizedLinear? quantized)
    {
        this.floats = floats;
        this.quantized = quantized;
    }

    /// <summary>Bytes held by the packed weight, its bias and (int8) its scales.</summary>
    public long Bytes => floats?.Bytes ?? quantized!.Bytes;

    /// <summary>Packs a row-major (N, K) weight and its bias for <paramref name="width"/>, quantized to int8 when <paramref name="int8"/>.</summary>
    public static EngineLinear Create(ReadOnlySpan<float> weight, int outFeatures, int inFeatures, ReadOnlySpan<float> bias, VectorWidth width, bool int8) =>
        int8
            ? new EngineLinear(null, QuantizedLinear.Pack(weight, outFeatures, inFeatures, bias, width))
            : new EngineLinear(PackedLinear.Pack(weight, outFeatures, inFeatures, bias, width), null);

    /// <summary>y[0..rows) = epilogue(x[0..rows)·Wᵀ + b); an int8 layer first quantizes x into <paramref name="workspace"/>.</summary>
    public void Multiply<TS, TV>(float* x, long rows, float* y, LinearEpilogue epilogue, IntraOpThreadPool threads, Workspace workspace)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        if (quantized is null)
        {
            floats!.Multiply<TS, TV>(x, rows, y, epilogue, threads);
            return;
        }

        var values = (byte*)workspace.QuantizedRows!.Pointer;
        float* scales = workspace.RowScales!.Pointer;
        ActivationQuantizer.Quantize<TS, TV>(x, rows, quantized.InFeatures, values, scales, threads);
        quantized.Multiply<TS, TV>(values, scales, rows, y, epilogue, threads);
    }
}
