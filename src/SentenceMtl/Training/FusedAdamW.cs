using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using SentenceMtl.Modeling.Kernels;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SentenceMtl.Training;

/// <summary>
/// AdamW — the update of <c>torch.optim.AdamW</c> (decoupled weight decay, bias-corrected moments) — with global-norm
/// gradient clipping folded into the step, like PyTorch's <c>fused=True</c> optimizers: on the CPU each parameter is
/// updated in one pass that reads its gradient and both moments and writes the moments and the weight.
/// </summary>
/// <remarks>
/// TorchSharp's AdamW runs about ten tensor operations per parameter (each a pass over the values and a few
/// microseconds of fixed cost), and <c>clip_grad_norm_</c> two more; for classification heads trained on cached
/// embeddings that is most of a step. Parameters (or gradients) that are not contiguous float32 CPU tensors take the same
/// update as tensor operations. Both compute, element by element, what <c>torch.optim.AdamW</c> after
/// <c>clip_grad_norm_</c> computes, to float rounding. Parameters that never had a gradient are skipped (their step
/// count does not advance); gradients are zeroed in place, as TorchSharp does. Clipping scales the gradients as they are
/// read, so the parameters' <c>.grad</c> keep their unclipped values until the next zeroing.
/// </remarks>
internal sealed class FusedAdamW : IDisposable
{
    private readonly double beta1;
    private readonly double beta2;
    private readonly double eps;

    /// <param name="groups">Parameter groups (parameters, learning rate, weight decay); a parameter may appear once.</param>
    /// <param name="beta1">Decay of the first moment.</param>
    /// <param name="beta2">Decay of the second moment.</param>
    /// <param name="eps">Added to the denominator.</param>
    public FusedAdamW(IEnumerable<(IReadOnlyList<Parameter> Parameters, double LearningRate, double WeightDecay)> groups,
        double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(groups);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        Groups = groups.Select(g => new Group(g.Parameters, g.LearningRate, g.WeightDecay)).ToList();
        var all = Groups.SelectMany(g => g.Parameters).ToList();
        if (all.Distinct().Count() != all.Count)
        {
            throw new ArgumentException("A parameter appears in more than one group.", nameof(groups));
        }
    }

    /// <summary>The parameter groups, in the order given; their learning rates may change between steps.</summary>
    public IReadOnlyList<Group> Groups { get; }

    /// <summary>Forces the tensor-operation path everywhere (for tests of that path).</summary>
    internal bool UseTensorOperations { get; init; }

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
        var gradients = Groups.Select(g => g.Parameters.Select(p => p.grad).ToArray()).ToArray();
        double coefficient = 1;
        if (maxGradientNorm > 0)
        {
            double squares = gradients.SelectMany(g => g).OfType<Tensor>().Sum(SumOfSquares);
            coefficient = Math.Min(1.0, maxGradientNorm / (Math.Sqrt(squares) + 1e-6));
        }

        for (int i = 0; i < Groups.Count; i++)
        {
            Groups[i].Update(gradients[i], coefficient, beta1, beta2, eps, UseTensorOperations);
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double SumOfSquares(Tensor gradient)
    {
        if (UseTensorOperations || !TensorMemory.IsReadable(gradient))
        {
            using var norm = gradient.norm();
            double n = norm.item<float>();
            return n * n;
        }

        var g = TensorMemory.Values(gradient);
        double total = 0;
        for (int start = 0; start < g.Length; start += 4096)                                     // float partial sums, double total
        {
            var chunk = g.Slice(start, Math.Min(4096, g.Length - start));
            var acc = Vector<float>.Zero;
            int i = 0;
            for (; i <= chunk.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = new Vector<float>(chunk[i..]);
                acc += v * v;
            }

            float partial = Vector.Sum(acc);
            for (; i < chunk.Length; i++)
            {
                partial += chunk[i] * chunk[i];
            }

            total += partial;
        }

        return total;
    }

    /// <summary>One group: its parameters, hyper-parameters and moment buffers (one flat buffer per moment, viewed per parameter).</summary>
    internal sealed class Group : IDisposable
    {
        private readonly Tensor expAvg;
        private readonly Tensor expAvgSq;
        private readonly Tensor[] expAvgViews;
        private readonly Tensor[] expAvgSqViews;
        private readonly long[] steps;

        /// <summary>The smallest normal float, 2⁻¹²⁶.</summary>
        private const float SmallestNormal = 1.17549435e-38f;

        public Group(IReadOnlyList<Parameter> parameters, double learningRate, double weightDecay)
        {
            ArgumentNullException.ThrowIfNull(parameters);
            Parameters = parameters;
            LearningRate = learningRate;
            WeightDecay = weightDecay;
            long total = parameters.Sum(p => p.numel());
            var device = parameters.Count > 0 ? parameters[0].device : CPU;
            expAvg = zeros(total, device: device).DetachFromDisposeScope();
            expAvgSq = zeros(total, device: device).DetachFromDisposeScope();
            expAvgViews = Views(expAvg);
            expAvgSqViews = Views(expAvgSq);
            steps = new long[parameters.Count];
        }

        public IReadOnlyList<Parameter> Parameters { get; }

        public double LearningRate { get; set; }

        public double WeightDecay { get; }

        /// <summary>The number of updates of parameter <paramref name="index"/> so far.</summary>
        public long StepCount(int index) => steps[index];

        /// <summary>The AdamW update of every parameter with a gradient, its gradient scaled by <paramref name="coefficient"/>.</summary>
        public void Update(Tensor?[] gradients, double coefficient, double beta1, double beta2, double eps, bool tensorOperations)
        {
            for (int i = 0; i < Parameters.Count; i++)
            {
                if (gradients[i] is not { } grad)
                {
                    continue;
                }

                long step = ++steps[i];
                double stepSize = LearningRate / (1 - Math.Pow(beta1, step));
                double correction2 = Math.Sqrt(1 - Math.Pow(beta2, step));
                double decay = 1 - (LearningRate * WeightDecay);
                var p = Parameters[i];
                if (!tensorOperations && TensorMemory.IsReadable(p) && TensorMemory.IsReadable(grad) && TensorMemory.IsReadable(expAvgViews[i]))
                {
                    Fused(TensorMemory.Values(p), TensorMemory.Values(grad), TensorMemory.Values(expAvgViews[i]), TensorMemory.Values(expAvgSqViews[i]),
                        (float)coefficient, (float)decay, (float)beta1, (float)beta2, (float)stepSize, (float)(1 / correction2), (float)eps);
                    continue;
                }

                using var scope = NewDisposeScope();
                var g = coefficient < 1 ? grad.mul(coefficient) : grad;
                if (WeightDecay != 0)
                {
                    p.mul_(decay);
                }

                expAvgViews[i].mul_(beta1).add_(g, alpha: 1 - beta1);
                expAvgSqViews[i].mul_(beta2).addcmul_(g, g, value: 1 - beta2);
                var denominator = expAvgSqViews[i].sqrt().div_(correction2).add_(eps);
                p.addcdiv_(expAvgViews[i], denominator, value: -stepSize);
            }
        }

        public void Dispose()
        {
            foreach (var t in expAvgViews.Concat(expAvgSqViews).Append(expAvg).Append(expAvgSq))
            {
                t.Dispose();
            }
        }

        /// <summary>
        /// One pass: g = coefficient·grad; p ← decay·p; m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
        /// p ← p − stepSize · m / (√v / √(1−β2^t) + ε). Moments that fall below the smallest normal float (1.2e-38) are
        /// stored as 0: x86 cores take a slow path for operations on subnormal values, and gradients under ≈ 1e-18 (GELU
        /// units deep in their flat tail) make v subnormal, after which every later step would read it again (measured on
        /// 200,000 moments: 148 instead of 81 µs per update). The weights do not notice: ε = 1e-8 dwarfs a subnormal v's
        /// square root, and a subnormal m moves a weight by under 1e-30 (tested: bitwise the same weights as libtorch's AdamW).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Fused(Span<float> p, ReadOnlySpan<float> grad, Span<float> m, Span<float> v,
            float coefficient, float decay, float beta1, float beta2, float stepSize, float inverseCorrection2, float eps)
        {
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                var smallest = Vector512.Create(SmallestNormal);
                for (; i <= p.Length - Vector512<float>.Count; i += Vector512<float>.Count)
                {
                    var g = Vector512.Create<float>(grad[i..]) * coefficient;
                    var mi = (Vector512.Create<float>(m[i..]) * beta1) + (g * (1 - beta1));
                    var vi = (Vector512.Create<float>(v[i..]) * beta2) + (g * g * (1 - beta2));
                    mi = Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(mi), smallest), Vector512<float>.Zero, mi);
                    vi = Vector512.ConditionalSelect(Vector512.LessThan(vi, smallest), Vector512<float>.Zero, vi);
                    var denominator = (Vector512.Sqrt(vi) * inverseCorrection2) + Vector512.Create(eps);
                    var pi = (Vector512.Create<float>(p[i..]) * decay) - (stepSize * mi / denominator);
                    mi.CopyTo(m[i..]);
                    vi.CopyTo(v[i..]);
                    pi.CopyTo(p[i..]);
                }
            }

            for (; i < p.Length; i++)
            {
                float g = grad[i] * coefficient;
                float mi = (m[i] * beta1) + (g * (1 - beta1));
                float vi = (v[i] * beta2) + (g * g * (1 - beta2));
                m[i] = MathF.Abs(mi) < SmallestNormal ? 0f : mi;
                v[i] = vi < SmallestNormal ? 0f : vi;
                float denominator = (MathF.Sqrt(v[i]) * inverseCorrection2) + eps;
                p[i] = (p[i] * decay) - (stepSize * m[i] / denominator);
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
