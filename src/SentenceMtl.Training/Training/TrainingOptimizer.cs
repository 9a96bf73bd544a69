using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SentenceMtl.Training;

/// <summary>
/// libtorch's AdamW over parameter groups, each with a peak learning rate that the schedule scales, and gradient
/// clipping to a global L2 norm before every update (<c>clip_grad_norm_</c>): the one optimizer of every training stage.
/// </summary>
internal sealed class TrainingOptimizer : IDisposable
{
    private readonly AdamW adam;
    private readonly (AdamW.ParamGroup Group, double PeakRate)[] groups;
    private readonly Parameter[] parameters;

    /// <param name="groups">Parameter groups with their peak learning rate and decoupled weight decay; empty groups are left out.</param>
    public TrainingOptimizer(IEnumerable<(IReadOnlyList<Parameter> Parameters, double LearningRate, double WeightDecay)> groups)
    {
        var list = groups.Where(g => g.Parameters.Count > 0)
            .Select(g => (Group: new AdamW.ParamGroup(g.Parameters, lr: g.LearningRate, weight_decay: g.WeightDecay), PeakRate: g.LearningRate))
            .ToArray();
        this.groups = list;
        parameters = list.SelectMany(g => g.Group.Parameters).ToArray();
        adam = torch.optim.AdamW(list.Select(g => g.Group), beta1: 0.9, beta2: 0.999);
    }

    /// <summary>
    /// The one grouping rule of every stage (heads, backbone, contrastive pairs): one group per peak learning rate and
    /// kind, decoupled weight decay only on matrices (no biases, no LayerNorm weights). Groups and their parameters keep
    /// the order the parameters come in, which fixes the order of the clipping norm's sum.
    /// </summary>
    /// <param name="parameters">Each trainable parameter with its peak learning rate.</param>
    /// <param name="weightDecay">The decay of matrices.</param>
    public static TrainingOptimizer ForParameters(IEnumerable<(Parameter Parameter, double LearningRate)> parameters, double weightDecay)
    {
        var groups = new List<((double Rate, bool Decay) Key, List<Parameter> Members)>();
        foreach (var (parameter, rate) in parameters)
        {
            var key = (rate, parameter.dim() >= 2);
            int index = groups.FindIndex(g => g.Key == key);
            if (index < 0)
            {
                groups.Add((key, []));
                index = groups.Count - 1;
            }

            groups[index].Members.Add(parameter);
        }

        return new TrainingOptimizer(groups.Select(g => ((IReadOnlyList<Parameter>)g.Members, g.Key.Rate, g.Key.Decay ? weightDecay : 0.0)));
    }

    /// <summary>Sets every group's learning rate to its peak rate times <paramref name="factor"/> (the schedule's value).</summary>
    public void Scale(double factor)
    {
        foreach (var (group, peak) in groups)
        {
            group.Options.LearningRate = peak * factor;
        }
    }

    /// <summary>
    /// The factor AdamW's decoupled weight decay multiplies <paramref name="parameter"/> by in a step at the current rate,
    /// 1 − lr·λ of its group (the same expression as AdamW's <c>param.mul_(1 - lr * weight_decay)</c>).
    /// </summary>
    public double DecayFactor(Parameter parameter)
    {
        var group = groups.First(g => g.Group.Parameters.Any(p => p.Handle == parameter.Handle)).Group;
        return 1 - (group.Options.LearningRate!.Value * group.Options.weight_decay!.Value);
    }

    /// <summary>Back-propagates <paramref name="loss"/> and updates the parameters: zero the gradients, backward, clip, step.</summary>
    /// <param name="loss">A scalar that depends on at least one of the parameters.</param>
    /// <param name="maxGradientNorm">Gradients are scaled so that their global L2 norm is at most this; 0 disables clipping.</param>
    public void Step(Tensor loss, double maxGradientNorm)
    {
        adam.zero_grad();
        loss.backward();
        if (maxGradientNorm > 0)
        {
            torch.nn.utils.clip_grad_norm_(parameters.Where(p => p.grad is not null), maxGradientNorm);
        }

        adam.step();
    }

    /// <inheritdoc/>
    public void Dispose() => adam.Dispose();
}
