using System.Globalization;
using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace SentenceMtl;

/// <summary>
/// The device strings <see cref="TrainerOptions.Device"/> accepts (<c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>, any
/// case) and their resolution to a torch device. TorchSharp itself would accept more names and fail later, with a
/// native-loader message that does not say what is missing; these checks say which string or package to use instead.
/// </summary>
internal static partial class TorchDevice
{
    /// <summary>The accepted strings, for messages.</summary>
    public const string Accepted =
        "\"cpu\", \"cuda\" (the first NVIDIA GPU), \"cuda:N\" (GPU number N, from 0), or null (CUDA when available, else the CPU)";

    /// <summary>Checks the spelling of <paramref name="name"/> (null is allowed: it means "choose").</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not one of <see cref="Accepted"/>.</exception>
    public static void Validate(string? name)
    {
        if (name is not null && !Pattern().IsMatch(name))
        {
            throw new ArgumentException(
                $"Device \"{Shorten(name)}\" is not a device SentenceMtl can run on. Set TrainerOptions.Device to {Accepted}.",
                nameof(TrainerOptions.Device));
        }
    }

    /// <summary>
    /// The CUDA device <paramref name="name"/> (already <see cref="Validate">validated</see>) names, or null for the CPU:
    /// "cpu", or null when no CUDA device is available. The CPU is decided without loading libtorch when TorchSharp's
    /// CUDA backend is not installed (<see cref="CudaBackendInstalled"/>); <see cref="Cpu"/> gives its device when needed.
    /// </summary>
    /// <exception cref="InvalidOperationException">A CUDA device is asked for but TorchSharp's CUDA backend is not
    /// installed (the message names the package that brings it), or the GPU number is out of range.</exception>
    public static Device? Resolve(string? name)
    {
        if (name is null)
        {
            return CudaBackendInstalled() && Loadable() && cuda.is_available() ? CUDA : null;
        }

        var match = Pattern().Match(name);
        if (!match.Groups["cuda"].Success)
        {
            return null;
        }

        Loadable();

        if (!cuda.is_available())
        {
            throw new InvalidOperationException(
                $"TrainerOptions.Device is \"{name}\", but TorchSharp's CUDA backend is not available: SentenceMtl " +
                $"references TorchSharp-cpu, which runs on the CPU only. To run on an NVIDIA GPU, reference TorchSharp-cuda-linux " +
                $"(on Linux) or TorchSharp-cuda-windows (on Windows) version {TorchSharpVersion}, the same version as TorchSharp-cpu, " +
                "in place of TorchSharp-cpu, on a machine with an NVIDIA driver. Otherwise set Device to \"cpu\", or leave it null " +
                "to use CUDA when available and the CPU else.");
        }

        int index = match.Groups["index"].Success ? int.Parse(match.Groups["index"].Value, CultureInfo.InvariantCulture) : 0;
        int count = cuda.device_count();
        if (index >= count)
        {
            throw new InvalidOperationException(
                $"TrainerOptions.Device is \"{name}\", but this machine has {count} CUDA device(s): use \"cuda:0\" to \"cuda:{count - 1}\".");
        }

        return torch.device(DeviceType.CUDA, index);
    }

    /// <summary>TorchSharp's CPU device, once its native library has been made loadable (reading it loads libtorch).</summary>
    public static Device Cpu()
    {
        TorchSharpNative.EnsureLoadable();
        return CPU;
    }

    /// <summary>
    /// Whether TorchSharp's CUDA backend is beside the application (<c>libtorch_cuda.so</c> or <c>torch_cuda.dll</c>, in
    /// its folder or its <c>runtimes/*/native</c> folders). Without it CUDA cannot be available, and answering so without
    /// asking libtorch means a CPU-only application never loads libtorch just to choose the device.
    /// </summary>
    internal static bool CudaBackendInstalled()
    {
        string[] names = ["libtorch_cuda.so", "torch_cuda.dll"];
        string root = AppContext.BaseDirectory;
        var folders = new List<string> { root };
        string runtimes = Path.Combine(root, "runtimes");
        if (Directory.Exists(runtimes))
        {
            folders.AddRange(Directory.EnumerateDirectories(runtimes).Select(r => Path.Combine(r, "native")));
        }

        return folders.Any(folder => names.Any(n => File.Exists(Path.Combine(folder, n))));
    }

    /// <summary>Makes TorchSharp's native library loadable before the first call into it (see <see cref="TorchSharpNative"/>).</summary>
    private static bool Loadable()
    {
        TorchSharpNative.EnsureLoadable();
        return true;
    }

    /// <summary>TorchSharp's package version (major.minor.patch), as the CUDA package must match it.</summary>
    private static string TorchSharpVersion => typeof(torch).Assembly.GetName().Version?.ToString(3) ?? "of TorchSharp-cpu";

    private static string Shorten(string name) => name.Length <= 40 ? name : name[..40] + "…";

    [GeneratedRegex(@"^(?:cpu|(?<cuda>cuda)(?::(?<index>\d{1,3}))?)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
