using static TorchSharp.torch;

namespace SentenceMtl.Modeling.Kernels;

/// <summary>
/// A model's inference copies of its linear layers' weights in <see cref="PrepackedLinear"/>'s layout, packed on first use.
/// </summary>
/// <remarks>
/// A packed copy does not see later changes of the weight it came from, so only frozen layers (no parameter requires a
/// gradient) are packed, and a layer found unfrozen loses its copy. Each entry also remembers the tensor objects it was
/// packed from and is rebuilt when they were replaced. Whoever changes frozen weights in place (the trainer restoring
/// its best weights, say) calls <see cref="Clear"/>. Safe to use from several threads at once.
/// </remarks>
internal sealed class PrepackedWeights : IDisposable
{
    private readonly Dictionary<object, (Tensor Weight, Tensor? Bias, PrepackedLinear Packed)> entries = new(ReferenceEqualityComparer.Instance);
    private readonly Lock gate = new();

    /// <summary>
    /// y = x·Wᵀ + b through the packed copy registered under <paramref name="key"/>, packing it from
    /// <paramref name="weight"/> and <paramref name="bias"/> the first time, and again when they are other tensor objects
    /// than last time; null (and any copy dropped) when the layer is not frozen or the operands do not suit the kernel.
    /// </summary>
    /// <param name="key">The layer the weight belongs to.</param>
    /// <param name="x">(…, K).</param>
    /// <param name="weight">(N, K).</param>
    /// <param name="bias">(N) or null.</param>
    /// <param name="frozen">Whether none of the layer's parameters requires a gradient.</param>
    /// <returns>(…, N), or null: compute it with libtorch.</returns>
    public Tensor? TryLinear(object key, Tensor x, Tensor weight, Tensor? bias, bool frozen)
    {
        bool usable = frozen && PrepackedLinear.CanPack(weight) && PrepackedLinear.Accepts(x, weight.shape[1]);
        PrepackedLinear packed;
        lock (gate)
        {
            if (!usable)
            {
                if (entries.Remove(key, out var stale))
                {
                    stale.Packed.Dispose();
                }

                return null;
            }

            if (!entries.TryGetValue(key, out var entry) || !ReferenceEquals(entry.Weight, weight) || !ReferenceEquals(entry.Bias, bias))
            {
                entry.Packed?.Dispose();
                entry = (weight, bias, PrepackedLinear.Pack(weight, bias));
                entries[key] = entry;
            }

            packed = entry.Packed;
        }

        return packed.Forward(x);
    }

    /// <summary>Drops every packed copy (after the weights changed in place).</summary>
    public void Clear()
    {
        lock (gate)
        {
            foreach (var entry in entries.Values)
            {
                entry.Packed.Dispose();
            }

            entries.Clear();
        }
    }

    /// <summary>The number of packed layers (for tests).</summary>
    public int Count
    {
        get
        {
            lock (gate)
            {
                return entries.Count;
            }
        }
    }

    /// <inheritdoc cref="Clear"/>
    public void Dispose() => Clear();
}
