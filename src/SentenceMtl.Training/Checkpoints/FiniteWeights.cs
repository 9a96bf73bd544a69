using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SentenceMtl.Checkpoints;

/// <summary>Finds weights holding a NaN or an infinity: a diverged run's, which no save should keep.</summary>
internal static class FiniteWeights
{
    /// <summary>The name of the first parameter holding a NaN or infinity, or null.</summary>
    public static string? FirstNonFinite(IEnumerable<(string Name, Parameter Parameter)> parameters)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (name, parameter) in parameters)
        {
            if (!parameter.isfinite().all().item<bool>())
            {
                return name;
            }
        }

        return null;
    }

    /// <summary>Refuses to save weights that hold a NaN or infinity: call before anything is written.</summary>
    /// <exception cref="InvalidOperationException">A parameter is not finite; the message names it.</exception>
    public static void RequireForSave(IEnumerable<(string Name, Parameter Parameter)> parameters)
    {
        if (FirstNonFinite(parameters) is { } name)
        {
            throw new InvalidOperationException(
                $"Cannot save: the weight '{name}' holds NaN or infinite values (did training diverge?). Nothing was written; train again with lower learning rates.");
        }
    }
}
