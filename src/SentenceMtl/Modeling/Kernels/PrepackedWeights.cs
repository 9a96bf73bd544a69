using TorchSharp.Modules;
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
    /// The packed copy of <paramref name="layer"/>'s weight and bias, packed the first time, and again when the layer holds
    /// other parameter objects than last time; null (and any copy dropped) when the layer is not frozen or its weight
    /// does not suit the kernel (<see cref="PrepackedLinear.CanPack"/>).
    /// </summary>
    /// <param name="layer">A linear layer of the model.</param>
    /// <returns>The copy, or null: compute the layer with libtorch.</returns>
    public PrepackedLinear? TryGet(Linear layer) =>
        TryGet(layer, layer.weight!, layer.bias, frozen: !layer.weight!.requires_grad && layer.bias?.requires_grad != true);

    /// <summary>As <see cref="TryGet(Linear)"/> for operands that are not one layer's (a fused projection's, say).</summary>
    /// <param name="key">What the copy is registered under.</param>
    /// <param name="weight">(N, K).</param>
    /// <param name="bias">(N) or null.</param>
    /// <param name="frozen">Whether none of the parameters behind the operands requires a gradient.</param>
    public PrepackedLinear? TryGet(object key, Tensor weight, Tensor? bias, bool frozen)
    {
        bool usable = frozen && PrepackedLinear.CanPack(weight);
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

            return entry.Packed;
        }
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
