using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SentenceMtl.Training;

/// <summary>
/// AdamW — the update of <c>torch.optim.AdamW</c> (decoupled weight decay, bias-corrected moments) — with global-norm
/// gradient clipping folded into the step, for parameters whose moments live in one flat buffer per group.
/// </summary>
/// <remarks>
/// TorchSharp's AdamW runs about ten tensor operations per parameter, each with a fixed cost of a few microseconds;
/// for small groups such as classification heads trained on cached embeddings, that overhead is most of a step. Here
/// a group whose parameters all have gradients and the same step count is updated with a fixed handful of operations
/// on its flat buffers (its gradients gathered into one vector) plus one <c>addcdiv_</c> per parameter; other groups,
/// and groups larger than the flat limit (a whole backbone, where gathering would copy every gradient), are updated
/// parameter by parameter on views of the same moment buffers. Both compute, element by element, what
/// <c>torch.optim.AdamW</c> and <c>clip_grad_norm_</c> compute. Parameters that never had a gradient are skipped
/// (their step count does not advance); gradients are zeroed in place, as TorchSharp does. Clipping scales the gathered
/// copy of a flat group's gradients, so its parameters' <c>.grad</c> keep their unclipped values until the next zeroing.
/// </remarks>
internal sealed class FlatAdamW : IDisposable
{
    /// <summary>Largest group (in elements) updated through gathered flat gradients: 4M floats, 16 MB.</summary>
    public const long DefaultFlatLimit = 1L << 22;

    private readonly double beta1;
    private readonly double beta2;
    private readonly double eps;

    /// <param name="groups">Parameter groups (parameters, learning rate, weight decay); a parameter may appear once.</param>
    /// <param name="beta1">Decay of the first moment.</param>
    /// <param name="beta2">Decay of the second moment.</param>
    /// <param name="eps">Added to the denominator.</param>
    /// <param name="flatLimit">Groups with more elements than this are updated parameter by parameter.</param>
    public FlatAdamW(IEnumerable<(IReadOnlyList<Parameter> Parameters, double LearningRate, double WeightDecay)> groups,
        double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, long flatLimit = DefaultFlatLimit)
    {
        ArgumentNullException.ThrowIfNull(groups);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        Groups = groups.Select(g => new Group(g.Parameters, g.LearningRate, g.WeightDecay, flatLimit)).ToList();
        var all = Groups.SelectMany(g => g.Parameters).ToList();
        if (all.Distinct().Count() != all.Count)
        {
            throw new ArgumentException("A parameter appears in more than one group.", nameof(groups));
        }
    }

    /// <summary>The parameter groups, in the order given; their learning rates may change between steps.</summary>
    public IReadOnlyList<Group> Groups { get; }

    /// <summary>Zeroes every existing gradient in place.</summary>
    public void ZeroGrad()
    {
        using var scope = NewDisposeScope();
        foreach (var p in Groups.SelectMany(g => g.Parameters))
        {
            p.grad?.zero_();
        }
    }

    /// <summary>One AdamW update of every parameter that has a gradient.</summary>
    /// <param name="maxGradientNorm">When positive, gradients are first scaled so that their global L2 norm is at most
    /// this (as <c>clip_grad_norm_</c>, with its 1e-6 guard).</param>
    public void Step(double maxGradientNorm = 0)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var work = Groups.Select(g => g.Gather()).ToList();                                      // per group: flat gradient, or per-parameter ones
        if (maxGradientNorm > 0)
        {
            var clipped = work.SelectMany(w => w.Flat is { } flat ? [flat] : w.Gradients.OfType<Tensor>()).ToArray();
            if (clipped.Length > 0)
            {
                var coefficient = (maxGradientNorm / (stack(clipped.Select(g => g.norm())).norm() + 1e-6)).clamp_max(1.0); // no host sync
                foreach (var g in clipped)
                {
                    g.mul_(coefficient);
                }
            }
        }

        for (int i = 0; i < Groups.Count; i++)
        {
            Groups[i].Update(work[i], beta1, beta2, eps);
        }
    }

    /// <summary>Frees the moment buffers.</summary>
    public void Dispose()
    {
        foreach (var g in Groups)
        {
            g.Dispose();
        }
    }

    /// <summary>One group: its parameters, hyper-parameters and flat state.</summary>
    internal sealed class Group : IDisposable
    {
        private readonly Tensor expAvg;
        private readonly Tensor expAvgSq;
        private readonly Tensor? denominator;                                                   // flat groups only
        private readonly Tensor[] expAvgViews;
        private readonly Tensor[] expAvgSqViews;
        private readonly Tensor[] denominatorViews;
        private readonly long[] steps;

        public Group(IReadOnlyList<Parameter> parameters, double learningRate, double weightDecay, long flatLimit)
        {
            ArgumentNullException.ThrowIfNull(parameters);
            Parameters = parameters;
            LearningRate = learningRate;
            WeightDecay = weightDecay;
            long total = parameters.Sum(p => p.numel());
            var device = parameters.Count > 0 ? parameters[0].device : CPU;
            expAvg = zeros(total, device: device).DetachFromDisposeScope();
            expAvgSq = zeros(total, device: device).DetachFromDisposeScope();
            IsFlat = total <= flatLimit;
            denominator = IsFlat ? zeros(total, device: device).DetachFromDisposeScope() : null;
            expAvgViews = Views(expAvg);
            expAvgSqViews = Views(expAvgSq);
            denominatorViews = denominator is null ? [] : Views(denominator);
            steps = new long[parameters.Count];
        }

        public IReadOnlyList<Parameter> Parameters { get; }

        public double LearningRate { get; set; }

        public double WeightDecay { get; }

        /// <summary>Whether the group is small enough to update through gathered flat gradients.</summary>
        public bool IsFlat { get; }

        /// <summary>The number of updates of parameter <paramref name="index"/> so far.</summary>
        public long StepCount(int index) => steps[index];

        /// <summary>This step's gradients: one flat vector when every parameter has one and all share a step count.</summary>
        public (Tensor? Flat, Tensor?[] Gradients) Gather()
        {
            var gradients = Parameters.Select(p => p.grad).ToArray();
            bool uniform = IsFlat && gradients.All(g => g is not null) && steps.All(s => s == steps[0]) && gradients.Length > 0;
            return uniform
                ? (cat(gradients.Select(g => g!.reshape(-1)).ToArray()), gradients)                // (Σ numel)
                : (null, gradients);
        }

        /// <summary>The AdamW update, flat when possible, else per parameter on views of the flat state.</summary>
        public void Update((Tensor? Flat, Tensor?[] Gradients) work, double beta1, double beta2, double eps)
        {
            if (work.Flat is { } g && denominator is not null)
            {
                long step = ++steps[0];
                for (int i = 1; i < steps.Length; i++)
                {
                    steps[i] = step;
                }

                expAvg.mul_(beta1).add_(g, alpha: 1 - beta1);
                expAvgSq.mul_(beta2).addcmul_(g, g, value: 1 - beta2);
                denominator.copy_(expAvgSq).sqrt_().div_(Math.Sqrt(1 - Math.Pow(beta2, step))).add_(eps);
                double stepSize = LearningRate / (1 - Math.Pow(beta1, step));
                for (int i = 0; i < Parameters.Count; i++)
                {
                    Decay(Parameters[i]);
                    Parameters[i].addcdiv_(expAvgViews[i], denominatorViews[i], value: -stepSize);
                }

                return;
            }

            for (int i = 0; i < Parameters.Count; i++)
            {
                if (work.Gradients[i] is not { } grad)
                {
                    continue;
                }

                long step = ++steps[i];
                Decay(Parameters[i]);
                expAvgViews[i].mul_(beta1).add_(grad, alpha: 1 - beta1);
                expAvgSqViews[i].mul_(beta2).addcmul_(grad, grad, value: 1 - beta2);
                using var owned = denominator is null ? expAvgSqViews[i].sqrt() : null;             // large groups: freed per parameter
                var d = owned ?? denominatorViews[i].copy_(expAvgSqViews[i]).sqrt_();
                d.div_(Math.Sqrt(1 - Math.Pow(beta2, step))).add_(eps);
                Parameters[i].addcdiv_(expAvgViews[i], d, value: -LearningRate / (1 - Math.Pow(beta1, step)));
            }
        }

        public void Dispose()
        {
            foreach (var t in expAvgViews.Concat(expAvgSqViews).Concat(denominatorViews).Append(expAvg).Append(expAvgSq))
            {
                t.Dispose();
            }

            denominator?.Dispose();
        }

        private void Decay(Parameter p)
        {
            if (WeightDecay != 0)
            {
                p.mul_(1 - (LearningRate * WeightDecay));
            }
        }

        /// <summary>Views of a flat buffer shaped like each parameter, in order.</summary>
        private Tensor[] Views(Tensor flat)
        {
            var views = new Tensor[Parameters.Count];
            long offset = 0;
            for (int i = 0; i < views.Length; i++)
            {
                long n = Parameters[i].numel();
                using var slice = flat.narrow(0, offset, n);
                views[i] = slice.view(Parameters[i].shape).DetachFromDisposeScope();
                offset += n;
            }

            return views;
        }
    }
}
