using System.Runtime.CompilerServices;
using SentenceMtl.Inference.Vectors;

namespace SentenceMtl.Inference.Kernels;

/// <summary>The int8 micro-kernel: a tile of rows × two vectors of exact integer sums.</summary>
internal sealed unsafe partial class QuantizedLinear
{
    /// <summary>
    /// sums[0..rows, 0..2V) = a[0..rows, 0..kp) · panel − 128 · Σ_k panel as exact 32-bit integers stored as floats, a
    /// <typeparamref name="TShape"/>-row block in two accumulators per row that start at the column offsets, one pass
    /// over k four at a time. Missing rows repeat the last row and are not stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TS, TV, TShape>(byte* a, int kp, int rows, float* panel, float* offset, float* sums)
        where TS : struct, ISimd<TV>
        where TV : struct
        where TShape : struct, PackedLinear.ITileShape
    {
        int v = TS.Count, p = 2 * v, quads = kp / 4;
        int* a0 = Row(a, kp, rows, 0), a1 = Row(a, kp, rows, 1), a2 = Row(a, kp, rows, 2), a3 = Row(a, kp, rows, 3);
        int* a4 = Row(a, kp, rows, 4), a5 = Row(a, kp, rows, 5), a6 = Row(a, kp, rows, 6), a7 = Row(a, kp, rows, 7);
        int* a8 = Row(a, kp, rows, 8), a9 = Row(a, kp, rows, 9), a10 = Row(a, kp, rows, 10), a11 = Row(a, kp, rows, 11);
        var c00 = TS.Load(offset);
        var c01 = TS.Load(offset + v);
        TV c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01, c40 = c00, c41 = c01, c50 = c00, c51 = c01;
        TV c60 = c00, c61 = c01, c70 = c00, c71 = c01, c80 = c00, c81 = c01, c90 = c00, c91 = c01;
        TV ca0 = c00, ca1 = c01, cb0 = c00, cb1 = c01;
        float* w = panel;
        for (int t = 0; t < quads; t++, w += p)
        {
            var w0 = TS.Load(w);
            var w1 = TS.Load(w + v);
            var x = TS.BroadcastBits(a0[t]);
            c00 = TS.MultiplyAddBytes(c00, x, w0);
            c01 = TS.MultiplyAddBytes(c01, x, w1);
            x = TS.BroadcastBits(a1[t]);
            c10 = TS.MultiplyAddBytes(c10, x, w0);
            c11 = TS.MultiplyAddBytes(c11, x, w1);
            x = TS.BroadcastBits(a2[t]);
            c20 = TS.MultiplyAddBytes(c20, x, w0);
            c21 = TS.MultiplyAddBytes(c21, x, w1);
            x = TS.BroadcastBits(a3[t]);
            c30 = TS.MultiplyAddBytes(c30, x, w0);
            c31 = TS.MultiplyAddBytes(c31, x, w1);
            x = TS.BroadcastBits(a4[t]);
            c40 = TS.MultiplyAddBytes(c40, x, w0);
            c41 = TS.MultiplyAddBytes(c41, x, w1);
            x = TS.BroadcastBits(a5[t]);
            c50 = TS.MultiplyAddBytes(c50, x, w0);
            c51 = TS.MultiplyAddBytes(c51, x, w1);
            if (TShape.Rows > 6)
            {
                x = TS.BroadcastBits(a6[t]);
                c60 = TS.MultiplyAddBytes(c60, x, w0);
                c61 = TS.MultiplyAddBytes(c61, x, w1);
                x = TS.BroadcastBits(a7[t]);
                c70 = TS.MultiplyAddBytes(c70, x, w0);
                c71 = TS.MultiplyAddBytes(c71, x, w1);
            }

            if (TShape.Rows > 8)
            {
                x = TS.BroadcastBits(a8[t]);
                c80 = TS.MultiplyAddBytes(c80, x, w0);
                c81 = TS.MultiplyAddBytes(c81, x, w1);
                x = TS.BroadcastBits(a9[t]);
                c90 = TS.MultiplyAddBytes(c90, x, w0);
                c91 = TS.MultiplyAddBytes(c91, x, w1);
                x = TS.BroadcastBits(a10[t]);
                ca0 = TS.MultiplyAddBytes(ca0, x, w0);
                ca1 = TS.MultiplyAddBytes(ca1, x, w1);
                x = TS.BroadcastBits(a11[t]);
                cb0 = TS.MultiplyAddBytes(cb0, x, w0);
                cb1 = TS.MultiplyAddBytes(cb1, x, w1);
            }
        }

        Store<TS, TV>(sums, p, rows, 0, c00, c01);
        Store<TS, TV>(sums, p, rows, 1, c10, c11);
        Store<TS, TV>(sums, p, rows, 2, c20, c21);
        Store<TS, TV>(sums, p, rows, 3, c30, c31);
        Store<TS, TV>(sums, p, rows, 4, c40, c41);
        Store<TS, TV>(sums, p, rows, 5, c50, c51);
        if (TShape.Rows > 6)
        {
            Store<TS, TV>(sums, p, rows, 6, c60, c61);
            Store<TS, TV>(sums, p, rows, 7, c70, c71);
        }

        if (TShape.Rows > 8)
        {
            Store<TS, TV>(sums, p, rows, 8, c80, c81);
            Store<TS, TV>(sums, p, rows, 9, c90, c91);
            Store<TS, TV>(sums, p, rows, 10, ca0, ca1);
            Store<TS, TV>(sums, p, rows, 11, cb0, cb1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TS, TV>(float* sums, int p, int rows, int r, TV left, TV right)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        if (r < rows)
        {
            TS.Store(TS.ConvertToSingle(left), sums + (r * p));
            TS.Store(TS.ConvertToSingle(right), sums + (r * p) + TS.Count);
        }
    }

    /// <summary>Row r's inputs, four bytes per 32-bit value.</summary>
    private static int* Row(byte* a, int kp, int rows, int r) => (int*)(a + ((long)Math.Min(r, rows - 1) * kp));
}
